"""Avatars: magic bytes, a real decode and re-encode, then Cloudinary (or local files)."""

from pathlib import Path
from typing import Protocol

import cloudinary
import cloudinary.exceptions
import cloudinary.uploader
from starlette.concurrency import run_in_threadpool

from app.core.config import settings

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


# TODO(02) [чекпойнти 02.1, 02.2]: _validate_mime(data) → MIME-тип за magic bytes з
#   ALLOWED_MIME_MAGIC, інакше InvalidImageError(INVALID_IMAGE) — 422. Увага: RIFF — це ще й WAV та
#   AVI; WebP лише тоді, коли байти 8–12 = b"WEBP". _reencode(data, mime_type): Pillow декодує всі
#   пікселі й зберігає новий файл — «GIF-заголовок + <script>» не пройде.
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
        # TODO(02) [чекпойнт 02.5]: завантажте байти через cloudinary.uploader.upload(data,
        #   public_id=..., overwrite=True) поза event loop (run_in_threadpool); помилка SDK →
        #   ServiceUnavailableError (503); поверніть URL 200×200 crop="fill".
        raise NotImplementedError


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


# TODO(02) [чекпойнти 02.1, 02.3]: upload_avatar(storage, user_id, data): більше MAX_AVATAR_BYTES →
#   PayloadTooLargeError (413); перевірка MIME; storage.save(...) → URL.
