from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(100))
    # >>> given 01
    is_verified: Mapped[bool] = mapped_column(default=False)
    # <<< given 01
    # >>> given 02
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    # <<< given 02
    # >>> lesson homework
    # Raised by every password change; tokens carry the value they were issued with.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # --- todo
    # TODO(homework) [чекпойнт HW.4]: (за бажанням) alembic/versions/0004_token_version.py і тут
    #   лічильник token_version: Mapped[int] (0, server_default "0"), що росте з кожною зміною
    #   пароля: міграція (`alembic revision -m "token version"`, down_revision "0003") додає
    #   колонку.
    # <<< lesson homework

    contacts: Mapped[list["Contact"]] = relationship(  # noqa: F821
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )
