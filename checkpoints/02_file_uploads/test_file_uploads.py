"""Lesson 02: POST /users/me/avatar — magic-byte MIME check, size limit, storage service."""

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from course.checkpoint import checkpoint


def picture(image_format: str) -> bytes:
    """A real image: the app decodes uploads, so magic bytes followed by zeros do not pass."""
    output = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(output, format=image_format)
    return output.getvalue()


PNG = picture("PNG")
WEBP = picture("WEBP")
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 64
INVALID = "File must be a JPEG, PNG, GIF or WebP image"


async def upload(api: httpx.AsyncClient, headers: dict[str, str], data: bytes, name: str):
    files = {"file": (name, data, "image/jpeg")}
    return await api.post("/api/v1/users/me/avatar", files=files, headers=headers)


@checkpoint(
    id="02.1",
    title="PNG і WebP приймаються, у відповіді avatar_url",
    points=2,
    hint="Маршрут POST /users/me/avatar приймає multipart-поле `file` (UploadFile), зберігає "
    "його через сервіс сховища й повертає користувача з avatar_url; без Cloudinary застосунок "
    "сам віддає збережений файл за цим URL (StaticFiles на /media).",
)
async def test_valid_images_are_stored(api: httpx.AsyncClient, make_user) -> None:
    headers = await make_user()
    for data, name in ((PNG, "a.png"), (WEBP, "a.webp")):
        response = await upload(api, headers, data, name)
        assert response.status_code == 200, f"{name}: {response.status_code} {response.text[:200]}"
        url = response.json().get("avatar_url")
        assert url, f"{name}: avatar_url порожній"
        served = await api.get(url)  # local storage: the app serves its own media folder
        assert served.status_code == 200 and served.content == data, (
            f"{name}: GET {url} → {served.status_code}, а не збережений файл"
        )


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"hello, I am text", "a.jpg"), (EXE, "avatar.jpg"), (WAV, "sound.webp"), (b"", "empty.png")],
    ids=["text", "exe-renamed", "wav", "empty"],
)
@checkpoint(
    id="02.2",
    title="Не-зображення → 422 (перевірка за magic bytes)",
    points=1,
    hint="Дивіться на перші байти файлу, а не на розширення чи Content-Type. RIFF буває і WAV: "
    "WebP — лише коли далі йде WEBP.",
)
async def test_non_images_are_rejected(
    api: httpx.AsyncClient, make_user, data: bytes, name: str
) -> None:
    headers = await make_user()
    response = await upload(api, headers, data, name)
    assert response.status_code == 422, f"{name}: {response.status_code}, очікували 422"
    assert response.json().get("detail") == INVALID, response.json()
    me = (await api.get("/api/v1/users/me", headers=headers)).json()
    assert not me.get("avatar_url"), "Відхилений файл не має змінювати avatar_url"


@checkpoint(
    id="02.3",
    title="Файл рівно на ліміт приймається, на байт більший → 413, нічого не збережено",
    points=2,
    hint="Не довіряйте розміру від клієнта: читайте не більше MAX_AVATAR_BYTES + 1 байт і "
    "відповідайте 413, якщо прочитали більше за ліміт. Ліміт тіла запиту для JSON (1 МБ) "
    "замалий для аватара: дайте шляху аватара власний (BODY_LIMITS_BY_PATH у main.py).",
)
async def test_too_large_file(api: httpx.AsyncClient, make_user, student_import) -> None:
    settings = student_import("app.core.config").settings
    limit = settings.MAX_AVATAR_BYTES
    headers = await make_user()
    fits = await upload(api, headers, PNG + b"\x00" * (limit - len(PNG)), "max.png")
    assert fits.status_code == 200, f"Файл рівно на ліміт ({limit} байт): {fits.status_code}"
    headers = await make_user("bob@example.com")
    too_big = PNG + b"\x00" * (limit + 1 - len(PNG))
    response = await upload(api, headers, too_big, "big.png")
    assert response.status_code == 413, f"Файл на 1 байт більший за ліміт: {response.status_code}"
    me = (await api.get("/api/v1/users/me", headers=headers)).json()
    assert not me.get("avatar_url"), "Завеликий файл не має потрапити у сховище"
    media = Path(settings.MEDIA_DIR)  # the run's media folder, emptied before every test
    stored = [path.name for path in media.rglob("*.*")] if media.exists() else []
    assert len(stored) == 1, f"У сховищі має бути лише аватар, що вмістився в ліміт: {stored}"


@checkpoint(
    id="02.4",
    title="Аватар — лише для верифікованих і з токеном",
    points=1,
    hint="Використайте ту саму залежність, що й для контактів (require_verified).",
)
async def test_avatar_requires_verified_user(api: httpx.AsyncClient, make_user) -> None:
    anonymous = await api.post("/api/v1/users/me/avatar", files={"file": ("a.png", PNG)})
    assert anonymous.status_code == 401, f"Без токена: {anonymous.status_code}"
    headers = await make_user("unverified@example.com", verified=False)
    response = await upload(api, headers, PNG, "a.png")
    assert response.status_code == 403, f"Неверифікований: {response.status_code}"


@checkpoint(
    id="02.5",
    title="Cloudinary: завантаження і URL 200×200 fill",
    points=2,
    hint="CloudinaryAvatarStorage.save викликає cloudinary.uploader.upload(bytes, public_id=..., "
    "overwrite=True) поза event loop і будує URL з width=200, height=200, crop='fill'.",
)
async def test_cloudinary_storage(student_import, monkeypatch: pytest.MonkeyPatch) -> None:
    service = student_import("app.services.cloudinary_service")
    calls: list[dict[str, object]] = []

    def fake_upload(data: bytes, **options: object) -> dict[str, object]:
        calls.append({"data": data, **options})
        return {"version": 1}

    monkeypatch.setattr(service.cloudinary.uploader, "upload", fake_upload)
    monkeypatch.setattr(service.settings, "CLOUDINARY_CLOUD_NAME", "demo")
    monkeypatch.setattr(service.settings, "CLOUDINARY_API_KEY", "key")
    url = await service.CloudinaryAvatarStorage().save(42, PNG, "image/png")
    assert calls and calls[0]["data"] == PNG and calls[0].get("overwrite") is True, calls
    assert "w_200" in url and "h_200" in url and "c_fill" in url, url
