"""The register → email → verify → login flow of the lesson plan, and its failure cases."""


# TODO(06) [чекпойнти 06.4, 06.5, 06.7]: інтеграційні тести auth через HTTP (fixture `client`,
#   `mock_mail` з tests/conftest.py):
#   - повний flow з плану: register → 201 без токенів; login до верифікації → 403;
#     verify з токеном із "листа" (extract_token_from_email(mock_mail)) → 200; login → 200
#     (чекпойнти 06.4, 06.7);
#   - register: дубль email → 409, погані дані → 422; verify чужим, зіпсованим
#     і простроченим токеном → 400;
#   - /users/me з access-токеном → 200, без токена → 401;
#   - refresh видає нову пару і відкликає старий токен; після logout refresh → 401
#     (чекпойнт 06.5).
