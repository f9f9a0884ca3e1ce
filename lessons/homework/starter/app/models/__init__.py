from app.models.base import Base
from app.models.contact import Contact
from app.models.user import User

__all__ = ["Base", "Contact", "User"]
