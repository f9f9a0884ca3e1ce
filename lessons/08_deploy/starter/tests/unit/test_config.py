"""Settings: production guards, Render-style database URLs, CORS origins and mail transport."""

import pytest

from app.core.config import DEFAULT_SECRETS, Settings


def make_settings(**values: object) -> Settings:
    """Settings from these values and the environment only: never from a developer's .env."""
    return Settings(_env_file=None, **values)


# TODO(08) [чекпойнт 08.8]: тести production-налаштувань app/core/config.py:
#   - ENVIRONMENT=production з будь-яким секретом з DEFAULT_SECRETS, коротшим за 32 байти
#     або однаковим з іншим → ValidationError, що називає змінну; зі справжніми секретами
#     застосунок стартує;
#   - DATABASE_URL `postgres://…` і `postgresql://…` (так дає Render) → `postgresql+asyncpg://…`,
#     вже асинхронні URL не змінюються.


def test_development_accepts_the_default_secrets() -> None:
    settings = make_settings(ENVIRONMENT="development", **DEFAULT_SECRETS)
    assert settings.JWT_SECRET_KEY == DEFAULT_SECRETS["JWT_SECRET_KEY"]


def test_allowed_origins_from_a_comma_separated_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # NoDecode: the variable is split on commas, not parsed as JSON.
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000,")
    assert make_settings().ALLOWED_ORIGINS == ["https://app.example.com", "http://localhost:3000"]


def test_allowed_origins_from_a_string_value() -> None:
    settings = make_settings(ALLOWED_ORIGINS="https://a.example.com,https://b.example.com")
    assert settings.ALLOWED_ORIGINS == ["https://a.example.com", "https://b.example.com"]


def test_mail_without_username_uses_no_credentials_and_no_starttls() -> None:
    # MailHog or a local sink: plain SMTP, no login.
    settings = make_settings(MAIL_USERNAME="")
    assert settings.mail_uses_credentials is False
    assert settings.mail_starttls is False


def test_mail_with_username_uses_credentials_and_starttls() -> None:
    # Gmail on 587: log in over STARTTLS.
    settings = make_settings(MAIL_USERNAME="me@gmail.com", MAIL_PASSWORD="app-password")
    assert settings.mail_uses_credentials is True
    assert settings.mail_starttls is True


def test_mail_over_ssl_does_not_add_starttls() -> None:
    settings = make_settings(MAIL_USERNAME="me@gmail.com", MAIL_SSL_TLS=True, MAIL_PORT=465)
    assert settings.mail_uses_credentials is True
    assert settings.mail_starttls is False


def test_explicit_mail_starttls_wins() -> None:
    assert make_settings(MAIL_USERNAME="", MAIL_STARTTLS=True).mail_starttls is True
