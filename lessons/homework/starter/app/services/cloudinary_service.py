"""Avatars: magic bytes, a real decode and re-encode, then Cloudinary (or local files)."""

import io
from pathlib import Path
from typing import Protocol

import cloudinary
import cloudinary.exceptions
import cloudinary.uploader
from cloudinary import CloudinaryImage
from PIL import Image
from starlette.concurrency import run_in_threadpool

from app.core.config import settings
from app.services.errors import (
    InvalidImageError,
    PayloadTooLargeError,
    ServiceUnavailableError,
)

# The first bytes of a file tell what it is; a file name or Content-Type is whatever the client says.
ALLOWED_MIME_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"RIFF": "image/webp",  # only with "WEBP" at bytes 8-12: WAV and AVI are RIFF too
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}
INVALID_IMAGE = "File must be a JPEG, PNG, GIF or WebP image"
AVATAR_SIZE = 200
PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
# A few kilobytes can declare a 50 000 x 50 000 image: refuse before the pixels are decoded.
MAX_AVATAR_PIXELS = 40_000_000


def _validate_mime(data: bytes) -> str:
    for magic, mime_type in ALLOWED_MIME_MAGIC.items():
        if data.startswith(magic):
            if mime_type == "image/webp" and data[8:12] != b"WEBP":
                break
            return mime_type
    raise InvalidImageError(INVALID_IMAGE)


def _reencode(data: bytes, mime_type: str) -> bytes:
    """Decode every pixel and encode a fresh file: a valid header followed by a script, or
    anything else that is not really this image, fails; metadata (EXIF, GPS) is left behind."""
    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[mime_type]]) as image:
            if image.width * image.height > MAX_AVATAR_PIXELS:
                raise InvalidImageError(f"Image has more than {MAX_AVATAR_PIXELS} pixels")
            image.load()
            output = io.BytesIO()
            image.save(output, format=PILLOW_FORMATS[mime_type])
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InvalidImageError(INVALID_IMAGE) from exc
    return output.getvalue()


class AvatarStorage(Protocol):
    async def save(self, user_id: int, data: bytes, mime_type: str) -> str:
        """Store the image and return its public URL."""
        ...


class CloudinaryAvatarStorage:
    def __init__(self) -> None:
        cloudinary.config(
            cloud_name=settings.CLOUDINARY_CLOUD_NAME,
            api_key=settings.CLOUDINARY_API_KEY,
            api_secret=settings.CLOUDINARY_API_SECRET,
            secure=True,
        )

    async def save(self, user_id: int, data: bytes, mime_type: str) -> str:
        public_id = f"contacts_api/avatar_{user_id}"
        # The SDK blocks on HTTP: run it in a worker thread.
        try:
            result = await run_in_threadpool(
                cloudinary.uploader.upload, data, public_id=public_id, overwrite=True
            )
        except cloudinary.exceptions.Error as exc:
            raise ServiceUnavailableError("Avatar storage is unavailable, try again later") from exc
        # The transformation lives in the URL: Cloudinary resizes on delivery, no re-upload.
        return CloudinaryImage(public_id).build_url(
            width=AVATAR_SIZE,
            height=AVATAR_SIZE,
            crop="fill",
            version=result.get("version"),
        )


class LocalAvatarStorage:
    """Development fallback: files under MEDIA_DIR, served by the app at /media."""

    def __init__(self, media_dir: Path, base_url: str) -> None:
        self.avatars_dir = media_dir / "avatars"
        self.base_url = base_url

    async def save(self, user_id: int, data: bytes, mime_type: str) -> str:
        self.avatars_dir.mkdir(parents=True, exist_ok=True)
        for old in self.avatars_dir.glob(f"user_{user_id}.*"):
            old.unlink()
        name = f"user_{user_id}.{EXTENSIONS[mime_type]}"
        await run_in_threadpool((self.avatars_dir / name).write_bytes, data)
        return f"{self.base_url}/media/avatars/{name}"


def get_avatar_storage() -> AvatarStorage:
    if settings.uses_cloudinary:
        return CloudinaryAvatarStorage()
    return LocalAvatarStorage(Path(settings.MEDIA_DIR), settings.PUBLIC_BASE_URL)


async def upload_avatar(storage: AvatarStorage, user_id: int, data: bytes) -> str:
    if len(data) > settings.MAX_AVATAR_BYTES:
        raise PayloadTooLargeError(f"File is larger than {settings.MAX_AVATAR_BYTES} bytes")
    mime_type = _validate_mime(data)
    clean = await run_in_threadpool(_reencode, data, mime_type)  # CPU-bound: off the loop
    return await storage.save(user_id, clean, mime_type)
