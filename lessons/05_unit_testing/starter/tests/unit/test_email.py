"""Emails: what the verification message says, escaping, failures, transport config."""


# TODO(05) [чекпойнти 05.1, 05.9]: unit-тести app/services/email.py — замість FastMail AsyncMock():
#   - send_verification_email: тема, отримувач, посилання з токеном (verification_url) і ім'я
#     в HTML; full_name з <script> екранується;
#   - SMTP недоступний (send_message.side_effect = ConnectionError): помилка в лог, не виняток;
#   - get_mail_config: без MAIL_USERNAME — без логіна і без TLS, з ним — STARTTLS.
