from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.core.security import MAX_PASSWORD_BYTES


def _fits_bcrypt(password: str) -> str:
    # bcrypt reads 72 *bytes*: 72 emoji are 288, and everything after the 18th would be ignored.
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(f"Password must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8")
    return password


Password = Annotated[str, Field(min_length=6), AfterValidator(_fits_bcrypt)]


class UserCreate(BaseModel):
    email: EmailStr
    password: Password
    full_name: str | None = Field(default=None, max_length=100)


class UserUpdate(BaseModel):
    full_name: str = Field(min_length=1, max_length=100)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str  # validated on registration; not re-validated on every answer
    full_name: str | None
    is_verified: bool
    avatar_url: str | None


class EmailRequest(BaseModel):
    email: EmailStr


class Message(BaseModel):
    message: str


# TODO(homework) [чекпойнт HW.4]: схема PasswordResetConfirm з полями token: str і
#   new_password: Password (ті самі правила, що й для пароля при реєстрації).
