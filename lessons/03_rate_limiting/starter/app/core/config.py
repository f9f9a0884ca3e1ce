"""Application settings, read from the environment and `.env` (names as in the lesson plan)."""

from typing import Annotated, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development defaults. Production refuses to start while any of these is still in use.
DEFAULT_SECRETS = {
    "JWT_SECRET_KEY": "dev-access-secret-change-me",
    "JWT_REFRESH_SECRET": "dev-refresh-secret-change-me",
    "EMAIL_TOKEN_SECRET": "dev-email-secret-change-me",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    APP_NAME: str = "Contacts API"
    ENVIRONMENT: Literal["development", "test", "production"] = "development"
    DEBUG: bool = False
    # Swagger UI, ReDoc and /openapi.json; switch them off where nobody should browse the API.
    DOCS_ENABLED: bool = True

    DATABASE_URL: str = "sqlite+aiosqlite:///./contacts.db"
    # TODO(03) [чекпойнт 03.1]: REDIS_URL: str = "memory://" — де limiter (а з уроку 04 і кеш)
    #   тримає лічильники; `memory://` — Redis у процесі, `redis://host:6379/0` — справжній.

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

    # TODO(03) [чекпойнти 03.1–03.3, 03.5, 03.6]: RATE_LIMIT_ENABLED = True (тести вимикають
    #   limiter) і ліміти REGISTER_RATE_LIMIT = "5/minute", LOGIN_RATE_LIMIT = "10/minute",
    #   RESEND_RATE_LIMIT = "3/minute".

    @field_validator("ALLOWED_ORIGINS", mode="before")
    @classmethod
    def split_origins(cls, value: str | list[str]) -> list[str]:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

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
