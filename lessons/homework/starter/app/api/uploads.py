"""Reading an uploaded file without trusting its size."""

from fastapi import UploadFile

from app.core.config import settings


async def read_upload(file: UploadFile) -> bytes:
    """At most the limit + 1 bytes: enough to tell "too large" without loading a huge file."""
    return await file.read(settings.MAX_AVATAR_BYTES + 1)
