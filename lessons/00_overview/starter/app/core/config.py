"""Application settings, read from the environment and `.env` (names as in the lesson plan)."""

from typing import Annotated, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development defaults. Production refuses to start while any of these is still in use.
DEFAULT_SECRETS = {
    "JWT_SECRET_KEY": "dev-access-secret-change-me",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")
    # TODO(00) [чекпойнт 00.2]: налаштування мають читатися і зі змінних оточення, і з файлу `.env`
    #   у поточній теці. Підказка: SettingsConfigDict(env_file=...).

    APP_NAME: str = "Contacts API"
    ENVIRONMENT: Literal["development", "test", "production"] = "development"
    DEBUG: bool = False
    # Swagger UI, ReDoc and /openapi.json; switch them off where nobody should browse the API.
    DOCS_ENABLED: bool = True

    DATABASE_URL: str = "sqlite+aiosqlite:///./contacts.db"

    JWT_SECRET_KEY: str = DEFAULT_SECRETS["JWT_SECRET_KEY"]
    JWT_ALGORITHM: str = "HS256"
    JWT_ACCESS_TOKEN_EXPIRE_MINUTES: int = 30
    JWT_REFRESH_TOKEN_EXPIRE_DAYS: int = 7
    BCRYPT_ROUNDS: int = 12

    ALLOWED_ORIGINS: Annotated[list[str], NoDecode] = ["http://localhost:3000"]

    @field_validator("ALLOWED_ORIGINS", mode="before")
    @classmethod
    def split_origins(cls, value: str | list[str]) -> list[str]:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


settings = Settings()
