"""Application settings, read from the environment and `.env` (names as in the lesson plan)."""

from typing import Annotated, Literal

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development defaults. Production refuses to start while any of these is still in use.
DEFAULT_SECRETS = {
    "JWT_SECRET_KEY": "dev-access-secret-change-me",
    # >>> lesson 01
    "JWT_REFRESH_SECRET": "dev-refresh-secret-change-me",
    "EMAIL_TOKEN_SECRET": "dev-email-secret-change-me",
    # --- todo
    # TODO(01) [чекпойнт 01.2]: значення за замовчуванням для JWT_REFRESH_SECRET і
    #   EMAIL_TOKEN_SECRET (для розробки).
    # <<< lesson 01
}


# >>> lesson 08
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


# --- todo
# TODO(08) [чекпойнт 08.3]: MIN_SECRET_BYTES = 32 і _weakness(value, seen) — причина, чому секрет
#   слабкий (за замовчуванням, коротший за 32 байти, такий самий, як інший), або None.
# <<< lesson 08
class Settings(BaseSettings):
    # >>> until 00
    #|     model_config = SettingsConfigDict(extra="ignore")
    # <<< until 00
    # >>> lesson 00
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    # --- todo
    # TODO(00) [чекпойнт 00.2]: налаштування мають читатися і зі змінних оточення, і з файлу `.env`
    #   у поточній теці. Підказка: SettingsConfigDict(env_file=...).
    # <<< lesson 00

    APP_NAME: str = "Contacts API"
    ENVIRONMENT: Literal["development", "test", "production"] = "development"
    DEBUG: bool = False
    # Swagger UI, ReDoc and /openapi.json; switch them off where nobody should browse the API.
    DOCS_ENABLED: bool = True

    DATABASE_URL: str = "sqlite+aiosqlite:///./contacts.db"
    # >>> lesson 03
    # `memory://` selects an in-process Redis (fakeredis); `redis://host:6379/0` a real one.
    REDIS_URL: str = "memory://"
    # --- todo
    # TODO(03) [чекпойнт 03.1]: REDIS_URL: str = "memory://" — де limiter (а з уроку 04 і кеш)
    #   тримає лічильники; `memory://` — Redis у процесі, `redis://host:6379/0` — справжній.
    # <<< lesson 03

    JWT_SECRET_KEY: str = DEFAULT_SECRETS["JWT_SECRET_KEY"]
    # >>> lesson 01
    JWT_REFRESH_SECRET: str = DEFAULT_SECRETS["JWT_REFRESH_SECRET"]
    EMAIL_TOKEN_SECRET: str = DEFAULT_SECRETS["EMAIL_TOKEN_SECRET"]
    # --- todo
    # TODO(01) [чекпойнт 01.2]: три токени — три секрети: JWT_REFRESH_SECRET і EMAIL_TOKEN_SECRET (з
    #   DEFAULT_SECRETS), а нижче EMAIL_TOKEN_EXPIRE_HOURS = 24.
    # <<< lesson 01
    JWT_ALGORITHM: str = "HS256"
    JWT_ACCESS_TOKEN_EXPIRE_MINUTES: int = 30
    JWT_REFRESH_TOKEN_EXPIRE_DAYS: int = 7
    # >>> lesson 01
    EMAIL_TOKEN_EXPIRE_HOURS: int = 24
    # <<< lesson 01
    BCRYPT_ROUNDS: int = 12

    # >>> given 01
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

    # <<< given 01
    # >>> given 02
    CLOUDINARY_CLOUD_NAME: str = ""
    CLOUDINARY_API_KEY: str = ""
    CLOUDINARY_API_SECRET: str = ""
    MEDIA_DIR: str = "media"
    MAX_AVATAR_BYTES: int = 5 * 1024 * 1024

    # <<< given 02
    ALLOWED_ORIGINS: Annotated[list[str], NoDecode] = ["http://localhost:3000"]

    # >>> lesson 03
    RATE_LIMIT_ENABLED: bool = True
    REGISTER_RATE_LIMIT: str = "5/minute"
    LOGIN_RATE_LIMIT: str = "10/minute"
    RESEND_RATE_LIMIT: str = "3/minute"

    # --- todo
    # TODO(03) [чекпойнти 03.1–03.3, 03.5, 03.6]: RATE_LIMIT_ENABLED = True (тести вимикають
    #   limiter) і ліміти REGISTER_RATE_LIMIT = "5/minute", LOGIN_RATE_LIMIT = "10/minute",
    #   RESEND_RATE_LIMIT = "3/minute".

    # <<< lesson 03
    # >>> lesson 04
    BIRTHDAYS_CACHE_TTL_SECONDS: int = 3600

    # --- todo
    # TODO(04) [чекпойнт 04.2]: BIRTHDAYS_CACHE_TTL_SECONDS = 3600 — скільки живе кеш днів
    #   народження.

    # <<< lesson 04
    @field_validator("ALLOWED_ORIGINS", mode="before")
    @classmethod
    def split_origins(cls, value: str | list[str]) -> list[str]:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    # >>> lesson 08
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

    # --- todo
    # TODO(08) [чекпойнти 08.3, 08.4]: production-налаштування:
    #   1. валідатор DATABASE_URL: `postgres://…` (так дає Render) → `postgresql+asyncpg://…`;
    #   2. при ENVIRONMENT=production застосунок відмовляється стартувати зі слабким секретом
    #      (за замовчуванням з DEFAULT_SECRETS, коротшим за MIN_SECRET_BYTES байтів або
    #      однаковим з іншим) і називає змінну в помилці.

    # <<< lesson 08
    # >>> given 01
    @property
    def mail_uses_credentials(self) -> bool:
        """Without MAIL_USERNAME mail goes to a local sink (MailHog): no TLS, no login."""
        return bool(self.MAIL_USERNAME)

    @property
    def mail_starttls(self) -> bool:
        if self.MAIL_STARTTLS is not None:
            return self.MAIL_STARTTLS
        return self.mail_uses_credentials and not self.MAIL_SSL_TLS

    # <<< given 01
    # >>> given 02
    @property
    def uses_cloudinary(self) -> bool:
        return all(
            (self.CLOUDINARY_CLOUD_NAME, self.CLOUDINARY_API_KEY, self.CLOUDINARY_API_SECRET)
        )

    # <<< given 02


settings = Settings()
