"""Settings: production guards, Render-style database URLs, CORS origins and mail transport."""


# TODO(05) [чекпойнти 05.1, 05.8]: unit-тести налаштувань app/core/config.py;
#   Settings(_env_file=None, ...) не читає .env розробника:
#   - ALLOWED_ORIGINS зі змінної оточення через кому: пробіли й порожні елементи відкидаються;
#   - пошта: без MAIL_USERNAME — без логіна і без STARTTLS (MailHog), з ним — з обома;
#     з MAIL_SSL_TLS=True STARTTLS не додається; явний MAIL_STARTTLS має пріоритет.
