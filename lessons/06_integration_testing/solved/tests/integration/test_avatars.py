"""Avatar uploads: magic-byte validation, size limits, local storage and the Cloudinary service."""

import io
import threading
from pathlib import Path

import cloudinary
import cloudinary.exceptions
import cloudinary.uploader
import pytest
from httpx import AsyncClient, Response
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import settings
from app.main import app
from app.models import User
from app.services.cloudinary_service import (
    get_avatar_storage,
)
from tests.conftest import UserFactory
from tests.helpers import bearer

AVATAR = "/api/v1/users/me/avatar"
Headers = dict[str, str]
SessionFactory = async_sessionmaker[AsyncSession]


def image(image_format: str, size: tuple[int, int] = (8, 8), **options: object) -> bytes:
    """A real picture: the app decodes every upload, magic bytes alone do not pass."""
    output = io.BytesIO()
    Image.new("RGB", size, "teal").save(output, format=image_format, **options)
    return output.getvalue()


def decoded(data: bytes) -> tuple[str | None, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        return picture.format, picture.size


JPEG = image("JPEG")
PNG = image("PNG")
GIF87A = image("GIF")
GIF89A = image("GIF", transparency=0)
WEBP = image("WEBP")
TINY_GIF = image("GIF", (1, 1))  # 43 bytes
# A GIF header, then HTML: magic bytes say "image", a browser sniffing it may run the script.
GIF_WITH_SCRIPT = b"GIF89a<script>alert(document.cookie)</script>" + b"\x00" * 16
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 32


async def upload(
    client: AsyncClient,
    headers: Headers,
    data: bytes,
    filename: str = "avatar.jpg",
    content_type: str = "image/jpeg",
) -> Response:
    return await client.post(
        AVATAR, files={"file": (filename, data, content_type)}, headers=headers
    )


def stored_files(media_dir: Path) -> list[Path]:
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.exists() else []


async def avatar_url_in_db(session_factory: SessionFactory, user_id: int) -> str | None:
    async with session_factory() as session:  # a fresh session: no identity-map leftovers
        user = await session.get(User, user_id)
        assert user is not None
        return user.avatar_url


# --- accepted images -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "extension"),
    [
        pytest.param(JPEG, "me.jpg", "image/jpeg", "jpg", id="jpeg"),
        pytest.param(PNG, "me.png", "image/png", "png", id="png"),
        pytest.param(GIF87A, "me.gif", "image/gif", "gif", id="gif87a"),
        pytest.param(GIF89A, "me.gif", "image/gif", "gif", id="gif89a"),
        pytest.param(WEBP, "me.webp", "image/webp", "webp", id="webp"),
        # What the client says is ignored both ways: the bytes decide.
        pytest.param(PNG, "me.txt", "text/plain", "png", id="png-named-as-text"),
    ],
)
async def test_valid_image_is_stored_and_its_url_saved(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
    data: bytes,
    filename: str,
    content_type: str,
    extension: str,
) -> None:
    resp = await upload(client, auth_headers, data, filename, content_type)

    assert resp.status_code == 200, resp.text
    expected_url = f"http://test/media/avatars/user_{test_user.id}.{extension}"
    assert resp.json()["avatar_url"] == expected_url
    assert resp.json()["email"] == test_user.email
    stored = media_dir / "avatars" / f"user_{test_user.id}.{extension}"
    assert stored_files(media_dir) == [stored]
    assert decoded(stored.read_bytes()) == decoded(data)  # re-encoded: the same picture
    assert await avatar_url_in_db(session_factory, test_user.id) == expected_url


# --- rejected files: nothing is stored ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        pytest.param(b"just some text, not a picture\n", "notes.txt", "text/plain", id="text"),
        pytest.param(EXE, "avatar.jpg", "image/jpeg", id="exe-renamed-jpg"),
        pytest.param(WAV, "avatar.webp", "image/webp", id="wav-is-riff-but-not-webp"),
        pytest.param(b"RIFF", "avatar.webp", "image/webp", id="bare-riff"),
        pytest.param(b"", "avatar.png", "image/png", id="empty"),
        pytest.param(GIF_WITH_SCRIPT, "avatar.gif", "image/gif", id="gif-header-then-script"),
        pytest.param(PNG[:40], "avatar.png", "image/png", id="truncated-png"),
        pytest.param(JPEG[:4] + b"\x00" * 64, "avatar.jpg", "image/jpeg", id="jpeg-magic-only"),
        pytest.param(
            b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32,
            "a.webp",
            "image/webp",
            id="webp-magic-only",
        ),
        pytest.param(
            b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg", "image/svg+xml", id="svg"
        ),
    ],
)
async def test_non_image_is_422_and_nothing_is_stored(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
    data: bytes,
    filename: str,
    content_type: str,
) -> None:
    resp = await upload(client, auth_headers, data, filename, content_type)

    assert resp.status_code == 422
    assert resp.json() == {"detail": "File must be a JPEG, PNG, GIF or WebP image"}
    assert stored_files(media_dir) == []
    assert await avatar_url_in_db(session_factory, test_user.id) is None


# --- size limits -----------------------------------------------------------------------------


def image_of_size(size: int) -> bytes:
    """A real (tiny) picture padded to `size` bytes: decoders stop at the image's end."""
    return TINY_GIF + b"\x00" * (size - len(TINY_GIF))


async def test_file_one_byte_over_the_limit_is_413_and_nothing_is_stored(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
) -> None:
    resp = await upload(client, auth_headers, image_of_size(settings.MAX_AVATAR_BYTES + 1))

    assert resp.status_code == 413
    assert resp.json() == {"detail": f"File is larger than {settings.MAX_AVATAR_BYTES} bytes"}
    assert stored_files(media_dir) == []
    assert await avatar_url_in_db(session_factory, test_user.id) is None


async def test_file_of_exactly_the_limit_is_accepted(
    client: AsyncClient, auth_headers: Headers, media_dir: Path
) -> None:
    resp = await upload(client, auth_headers, image_of_size(settings.MAX_AVATAR_BYTES))

    assert resp.status_code == 200
    assert len(stored_files(media_dir)) == 1


# --- who may upload ------------------------------------------------------------------------


async def test_unverified_user_gets_403_and_nothing_is_stored(
    client: AsyncClient,
    make_user: UserFactory,
    media_dir: Path,
    session_factory: SessionFactory,
) -> None:
    unverified = await make_user("new@example.com", verified=False)

    resp = await upload(client, bearer(unverified), JPEG)

    assert resp.status_code == 403
    assert resp.json() == {"detail": "Email not verified"}
    assert stored_files(media_dir) == []
    assert await avatar_url_in_db(session_factory, unverified.id) is None


async def test_upload_without_a_token_is_401(client: AsyncClient, media_dir: Path) -> None:
    resp = await upload(client, {}, JPEG)

    assert resp.status_code == 401
    assert stored_files(media_dir) == []


# --- Cloudinary (no network: the SDK's upload is replaced) -----------------------------------


class FakeUpload:
    """Stands in for cloudinary.uploader.upload and records how it was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, dict[str, object]]] = []
        self.thread_ids: list[int] = []

    def __call__(self, file: object, **options: object) -> dict[str, object]:
        self.calls.append((file, options))
        self.thread_ids.append(threading.get_ident())
        return {"public_id": options["public_id"], "version": 1771632000}


@pytest.fixture
def cloudinary_configured(monkeypatch: pytest.MonkeyPatch) -> FakeUpload:
    monkeypatch.setattr(settings, "CLOUDINARY_CLOUD_NAME", "demo")
    monkeypatch.setattr(settings, "CLOUDINARY_API_KEY", "key")
    monkeypatch.setattr(settings, "CLOUDINARY_API_SECRET", "secret")
    # CloudinaryAvatarStorage writes the SDK's global config: give it a throwaway one.
    monkeypatch.setattr(cloudinary, "_config", cloudinary.Config())
    fake = FakeUpload()
    monkeypatch.setattr(cloudinary.uploader, "upload", fake)
    return fake


def transformation_of(url: str) -> set[str]:
    # https://res.cloudinary.com/demo/image/upload/<transformation>/v<version>/<public_id>
    return set(url.split("/image/upload/")[1].split("/")[0].split(","))


async def test_avatar_route_uses_cloudinary_when_it_is_configured(
    client: AsyncClient,
    test_user: User,
    auth_headers: Headers,
    media_dir: Path,
    session_factory: SessionFactory,
    cloudinary_configured: FakeUpload,
) -> None:
    del app.dependency_overrides[get_avatar_storage]  # let the app choose from the settings

    resp = await upload(client, auth_headers, PNG, "me.png", "image/png")

    assert resp.status_code == 200
    url = resp.json()["avatar_url"]
    assert f"contacts_api/avatar_{test_user.id}" in url
    assert transformation_of(url) == {"w_200", "h_200", "c_fill"}
    assert [decoded(file) for file, _ in cloudinary_configured.calls] == [decoded(PNG)]
    assert stored_files(media_dir) == []  # nothing written locally
    assert await avatar_url_in_db(session_factory, test_user.id) == url
