"""Application settings, read from the environment and `.env` (names as in the lesson plan)."""

from typing import Annotated, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development defaults. Production refuses to start while any of these is still in use.
DEFAULT_SECRETS = {
    "JWT_SECRET_KEY": "dev-access-secret-change-me",
    # TODO(01) [чекпойнт 01.2]: значення за замовчуванням для JWT_REFRESH_SECRET і
    #   EMAIL_TOKEN_SECRET (для розробки).
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    APP_NAME: str = "Contacts API"
    ENVIRONMENT: Literal["development", "test", "production"] = "development"
    DEBUG: bool = False
    # Swagger UI, ReDoc and /openapi.json; switch them off where nobody should browse the API.
    DOCS_ENABLED: bool = True

    DATABASE_URL: str = "sqlite+aiosqlite:///./contacts.db"

    JWT_SECRET_KEY: str = DEFAULT_SECRETS["JWT_SECRET_KEY"]
    # TODO(01) [чекпойнт 01.2]: три токени — три секрети: JWT_REFRESH_SECRET і EMAIL_TOKEN_SECRET (з
    #   DEFAULT_SECRETS), а нижче EMAIL_TOKEN_EXPIRE_HOURS = 24.
    JWT_ALGORITHM: str = "HS256"
    JWT_ACCESS_TOKEN_EXPIRE_MINUTES: int = 30
    JWT_REFRESH_TOKEN_EXPIRE_DAYS: int = 7
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

    ALLOWED_ORIGINS: Annotated[list[str], NoDecode] = ["http://localhost:3000"]

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


settings = Settings()
