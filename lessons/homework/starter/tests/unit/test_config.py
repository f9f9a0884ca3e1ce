"""Settings: production guards, Render-style database URLs, CORS origins and mail transport."""

import pytest
from pydantic import ValidationError

from app.core.config import DEFAULT_SECRETS, Settings


def make_settings(**values: object) -> Settings:
    """Settings from these values and the environment only: never from a developer's .env."""
    return Settings(_env_file=None, **values)


STRONG_SECRETS = {name: f"a-real-32-byte-secret-for-{name.lower()}" for name in DEFAULT_SECRETS}


@pytest.mark.parametrize("name", list(DEFAULT_SECRETS))
def test_production_refuses_each_default_secret_by_name(name: str) -> None:
    secrets = STRONG_SECRETS | {name: DEFAULT_SECRETS[name]}
    with pytest.raises(ValidationError, match=name):
        make_settings(ENVIRONMENT="production", **secrets)


@pytest.mark.parametrize("name", list(DEFAULT_SECRETS))
@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("", "at least 32 bytes"),  # a token signed with "" would read /users/me
        ("s" * 31, "at least 32 bytes"),
        ("ї" * 15, "at least 32 bytes"),  # 15 characters, 30 bytes: counted in bytes
    ],
)
def test_production_refuses_a_short_secret_by_name(name: str, weak: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=f"{name} must be {reason}"):
        make_settings(ENVIRONMENT="production", **STRONG_SECRETS | {name: weak})


def test_production_refuses_two_equal_secrets_naming_both() -> None:
    shared = STRONG_SECRETS["JWT_SECRET_KEY"]
    with pytest.raises(ValidationError, match="EMAIL_TOKEN_SECRET must differ from JWT_SECRET_KEY"):
        make_settings(ENVIRONMENT="production", **STRONG_SECRETS | {"EMAIL_TOKEN_SECRET": shared})


def test_production_starts_with_real_secrets() -> None:
    settings = make_settings(ENVIRONMENT="production", **STRONG_SECRETS)
    assert settings.ENVIRONMENT == "production"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # Render and Heroku hand out these two forms.
        ("postgres://u:p@db:5432/contacts", "postgresql+asyncpg://u:p@db:5432/contacts"),
        ("postgresql://u:p@db:5432/contacts", "postgresql+asyncpg://u:p@db:5432/contacts"),
        # Already async: left alone.
        ("postgresql+asyncpg://u:p@db/contacts", "postgresql+asyncpg://u:p@db/contacts"),
        ("sqlite+aiosqlite:///./contacts.db", "sqlite+aiosqlite:///./contacts.db"),
    ],
)
def test_database_url_uses_the_async_driver(given: str, expected: str) -> None:
    assert make_settings(DATABASE_URL=given).DATABASE_URL == expected


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
