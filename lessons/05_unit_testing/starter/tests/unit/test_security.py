"""Passwords and the purpose-scoped JWTs: claims, lifetimes, and every way a token is refused."""


# TODO(05) [чекпойнти 05.1, 05.6, 05.7]: unit-тести app/core/security.py — без HTTP і без бази:
#   - create_access_token: у payload purpose == "access", sub == email, exp у майбутньому
#     (приклад з плану), а exp - iat — рівно 30 хвилин (JWT_ACCESS_TOKEN_EXPIRE_MINUTES);
#   - кожен токен (access, refresh, email) приймається лише для свого purpose:
#     @pytest.mark.parametrize 3×3, чужий purpose → WrongTokenPurposeError (чекпойнт 05.6);
#   - підроблений (alg "none", чужий секрет), зіпсований і прострочений токен → TokenError /
#     TokenExpiredError;
#   - hash_password / verify_password: хеш не дорівнює паролю, правильний пароль проходить,
#     неправильний — ні.
