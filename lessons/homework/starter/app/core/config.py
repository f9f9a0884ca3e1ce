"""Application settings, read from the environment and `.env` (names as in the lesson plan)."""

from typing import Annotated, Literal

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development defaults. Production refuses to start while any of these is still in use.
DEFAULT_SECRETS = {
    "JWT_SECRET_KEY": "dev-access-secret-change-me",
    "JWT_REFRESH_SECRET": "dev-refresh-secret-change-me",
    "EMAIL_TOKEN_SECRET": "dev-email-secret-change-me",
}


# HS256 signs with an HMAC-SHA256 key: anything shorter than its 32-byte output is guessable.
MIN_SECRET_BYTES = 32


def _weakness(value: str, seen: dict[str, str]) -> str | None:
    """Why a production secret is weak, or None; `seen` maps values already used to their names."""
    if value in DEFAULT_SECRETS.values():
        return "must not be a development default"
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"must be at least {MIN_SECRET_BYTES} bytes long"
    if value in seen:
        return f"must differ from {seen[value]}"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    APP_NAME: str = "Contacts API"
    ENVIRONMENT: Literal["development", "test", "production"] = "development"
    DEBUG: bool = False
    # Swagger UI, ReDoc and /openapi.json; switch them off where nobody should browse the API.
    DOCS_ENABLED: bool = True

    DATABASE_URL: str = "sqlite+aiosqlite:///./contacts.db"
    # `memory://` selects an in-process Redis (fakeredis); `redis://host:6379/0` a real one.
    REDIS_URL: str = "memory://"

    JWT_SECRET_KEY: str = DEFAULT_SECRETS["JWT_SECRET_KEY"]
    JWT_REFRESH_SECRET: str = DEFAULT_SECRETS["JWT_REFRESH_SECRET"]
    EMAIL_TOKEN_SECRET: str = DEFAULT_SECRETS["EMAIL_TOKEN_SECRET"]
    JWT_ALGORITHM: str = "HS256"
    JWT_ACCESS_TOKEN_EXPIRE_MINUTES: int = 30
    JWT_REFRESH_TOKEN_EXPIRE_DAYS: int = 7
    EMAIL_TOKEN_EXPIRE_HOURS: int = 24
    BCRYPT_ROUNDS: int = 12

    # Where links in emails point (the verification link) and local avatars are served from.
    PUBLIC_BASE_URL: str = "http://localhost:8000"
    MAIL_USERNAME: str = ""
    MAIL_PASSWORD: str = ""
    MAIL_FROM: str = "noreply@example.com"
    MAIL_FROM_NAME: str = "Contacts API"
    MAIL_SERVER: str = "localhost"
    MAIL_PORT: int = 1025
    MAIL_SSL_TLS: bool = False
    # None: STARTTLS exactly when logging in (Gmail on 587); a local sink takes plain SMTP.
    MAIL_STARTTLS: bool | None = None

    CLOUDINARY_CLOUD_NAME: str = ""
    CLOUDINARY_API_KEY: str = ""
    CLOUDINARY_API_SECRET: str = ""
    MEDIA_DIR: str = "media"
    MAX_AVATAR_BYTES: int = 5 * 1024 * 1024

    ALLOWED_ORIGINS: Annotated[list[str], NoDecode] = ["http://localhost:3000"]

    RATE_LIMIT_ENABLED: bool = True
    REGISTER_RATE_LIMIT: str = "5/minute"
    LOGIN_RATE_LIMIT: str = "10/minute"
    RESEND_RATE_LIMIT: str = "3/minute"

    BIRTHDAYS_CACHE_TTL_SECONDS: int = 3600

    @field_validator("ALLOWED_ORIGINS", mode="before")
    @classmethod
    def split_origins(cls, value: str | list[str]) -> list[str]:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def use_async_driver(cls, value: str) -> str:
        # Render and Heroku hand out `postgres://…` URLs; SQLAlchemy's async engine needs asyncpg.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value.removeprefix(prefix)
        return value

    @model_validator(mode="after")
    def refuse_weak_secrets_in_production(self) -> "Settings":
        if self.ENVIRONMENT == "production":
            seen: dict[str, str] = {}
            for name in DEFAULT_SECRETS:
                value = getattr(self, name)
                if problem := _weakness(value, seen):
                    raise ValueError(f"{name} {problem} in production")
                seen[value] = name
        return self

    @property
    def mail_uses_credentials(self) -> bool:
        """Without MAIL_USERNAME mail goes to a local sink (MailHog): no TLS, no login."""
        return bool(self.MAIL_USERNAME)

    @property
    def mail_starttls(self) -> bool:
        if self.MAIL_STARTTLS is not None:
            return self.MAIL_STARTTLS
        return self.mail_uses_credentials and not self.MAIL_SSL_TLS

    @property
    def uses_cloudinary(self) -> bool:
        return all(
            (self.CLOUDINARY_CLOUD_NAME, self.CLOUDINARY_API_KEY, self.CLOUDINARY_API_SECRET)
        )


settings = Settings()
