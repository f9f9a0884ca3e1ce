from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.core.security import MAX_PASSWORD_BYTES, unhashable_password

# EmailStr's email-validator also refuses special-use domains (.test, .invalid, .local, .localhost,
# .onion, .arpa), which no mail reaches: 422. `format: email` cannot say so; the description does.
Email = Annotated[
    EmailStr,
    Field(
        description="Special-use domains, where no mail is delivered, are refused (422): "
        + ", ".join(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES)
    ),
]


def _fits_bcrypt(password: str) -> str:
    problem = unhashable_password(password)
    if problem is not None:
        raise ValueError(problem)
    return password


Password = Annotated[
    str,
    Field(
        min_length=6,
        # The validator's rules, as far as JSON Schema can state them: 72 bytes are at most 72
        # characters (fewer when some take more than one byte), and no NUL.
        json_schema_extra={
            "maxLength": MAX_PASSWORD_BYTES,
            "pattern": r"^[^\u0000]*$",
            "description": f"At most {MAX_PASSWORD_BYTES} bytes in UTF-8, without a NUL character",
        },
    ),
    AfterValidator(_fits_bcrypt),
]


class UserCreate(BaseModel):
    email: Email
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
    email: Email


class Message(BaseModel):
    message: str
