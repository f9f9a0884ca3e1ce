from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.schemas.user import Email


class ContactBase(BaseModel):
    first_name: str = Field(min_length=1, max_length=50)
    last_name: str = Field(min_length=1, max_length=50)
    email: Email
    phone: str = Field(min_length=3, max_length=30, pattern=r"^\+?[0-9 ()\-]+$")
    birthday: date
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("birthday", mode="before")
    @classmethod
    def birthday_is_a_date_string(cls, value: Any) -> Any:
        # Pydantic would read 0 as 1970-01-01 (a Unix time): the schema says a date string.
        # A ValueError, not a TypeError: pydantic turns only the former into a 422.
        if isinstance(value, int | float):
            raise ValueError("birthday must be a date string, YYYY-MM-DD")  # noqa: TRY004
        return value


class ContactCreate(ContactBase):
    pass


class ContactUpdate(ContactBase):
    pass


class ContactRead(ContactBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    # Checked once, on the way in. Re-checking every stored address on the way out costs
    # email-validator's ~0.2 ms per item (a list of 100 took longer than its query).
    email: str


class ContactPage(BaseModel):
    items: list[ContactRead]
    total: int


class BirthdayContact(ContactRead):
    days_until: int
