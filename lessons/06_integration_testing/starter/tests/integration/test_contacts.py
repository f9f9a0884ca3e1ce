"""Contacts over HTTP: CRUD, validation, pagination, search, access rules and birthdays."""


# TODO(06) [чекпойнти 06.1, 06.8, 06.12]: інтеграційні тести /api/v1/contacts (fixture `client`,
#   `auth_headers`); разом з іншими файлами — покриття app/ ≥ 80%:
#   - POST → 201 з id; той самий email у того самого власника → 409; погані дані → 422;
#   - GET/PUT/DELETE /contacts/{id}: 200/200/204, невідомий id → 404;
#   - список {items, total}: пагінація skip/limit, межі limit (1…100), пошук q без урахування
#     регістру;
#   - без токена → 401, неверифікований користувач → 403;
#   - GET /contacts/birthdays: найближчі 7 днів, найближчі першими, з days_until.
