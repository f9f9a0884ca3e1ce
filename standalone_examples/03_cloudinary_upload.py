"""Avatar uploads: trust the file's magic bytes, not its name, and let Cloudinary resize by URL.

Block 2 of the lesson plan ("Завантаження файлів"), steps 3 and 4. Runs offline by default:

    python standalone_examples/03_cloudinary_upload.py

1. Magic bytes: a JPEG, PNG, GIF (87a/89a) or WebP is recognised by its first bytes; a text file,
   an .exe renamed .jpg, a WAV (RIFF, but not WebP) and an empty file are rejected, whatever
   Content-Type and extension the client sent.
2. URL transformations: the Cloudinary SDK builds delivery URLs for the "demo" cloud offline,
   among them https://res.cloudinary.com/demo/image/upload/w_200,h_200,c_fill/avatar_42.jpg.
3. A real upload of a small generated PNG, only when Cloudinary credentials are set:
   CLOUDINARY_URL=cloudinary://API_KEY:API_SECRET@CLOUD_NAME, or CLOUDINARY_CLOUD_NAME +
   CLOUDINARY_API_KEY + CLOUDINARY_API_SECRET (the SDK reads them itself). Otherwise it is skipped.
"""

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import cloudinary
import cloudinary.uploader
from cloudinary import CloudinaryImage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The first bytes of a file say what it is; the name and Content-Type say what the client claims.
MAGIC_BYTES = {
    b"\xff\xd8\xff": "image/jpeg",
    PNG_SIGNATURE: "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
DEMO_CLOUD = "demo"
UPLOAD_PUBLIC_ID = "module14_demo/avatar_42"


@dataclass(frozen=True)
class Upload:
    """What the server receives: the client's claims (name, Content-Type) and the bytes."""

    filename: str
    content_type: str
    data: bytes


def detect_image_type(data: bytes) -> str | None:
    """The image MIME type from the magic bytes, or None for anything else."""
    for magic, mime_type in MAGIC_BYTES.items():
        if data.startswith(magic):
            return mime_type
    # RIFF is a container: WAV and AVI start with it too; WebP has "WEBP" at bytes 8-12.
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def tiny_png(size: int = 8, rgb: tuple[int, int, int] = (46, 134, 222)) -> bytes:
    """A valid single-colour PNG, built in memory: something real to validate and upload."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    rows = (b"\x00" + bytes(rgb) * size) * size  # filter byte 0, then the pixels of each row
    image = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return PNG_SIGNATURE + image


def sample_uploads() -> list[Upload]:
    """Four real image signatures and four fakes, each with the Content-Type a client might send."""
    riff_size = struct.pack("<I", 1024)
    return [
        Upload("photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
        Upload("avatar.png", "image/png", tiny_png()),
        Upload("old.gif", "image/gif", b"GIF87a\x01\x00\x01\x00"),
        Upload("anim.gif", "image/gif", b"GIF89a\x01\x00\x01\x00"),
        Upload("photo.webp", "image/webp", b"RIFF" + riff_size + b"WEBPVP8 "),
        Upload("notes.png", "image/png", b"just some text, not a picture\n"),
        Upload("avatar.jpg", "image/jpeg", b"MZ\x90\x00\x03\x00\x00\x00"),  # a Windows .exe
        Upload("song.webp", "image/webp", b"RIFF" + riff_size + b"WAVEfmt "),
        Upload("empty.jpg", "image/jpeg", b""),
    ]


def describe(upload: Upload) -> str:
    """One line: what the client claimed, the first bytes, and what the server decides."""
    detected = detect_image_type(upload.data)
    verdict = f"прийнято як {detected}" if detected else "ВІДХИЛЕНО (422)"
    head = upload.data[:12].hex(" ") or "(порожньо)"
    return f"  {upload.filename:<11} {upload.content_type:<11} {head:<36} → {verdict}"


def transformation_urls(
    public_id: str = "avatar_42", cloud_name: str = DEMO_CLOUD
) -> dict[str, str]:
    """Delivery URLs of one stored image: each transformation is only a different URL."""
    image = CloudinaryImage(public_id)

    def url(**options: Any) -> str:
        return str(image.build_url(cloud_name=cloud_name, secure=True, **options))

    return {
        "як у плані уроку (w_200,h_200,c_fill)": url(
            raw_transformation="w_200,h_200,c_fill", format="jpg"
        ),
        "те саме параметрами SDK (він сортує їх)": url(
            width=200, height=200, crop="fill", format="jpg"
        ),
        "мініатюра по обличчю, кругла": url(
            transformation=[
                {"width": 100, "height": 100, "crop": "thumb", "gravity": "face"},
                {"radius": "max"},
            ],
            format="png",
        ),
        "формат і якість під браузер": url(fetch_format="auto", quality="auto"),
    }


def credentials_configured() -> bool:
    """True when the SDK found a cloud name, an API key and a secret in the environment."""
    config = cloudinary.config()
    return bool(config.cloud_name and config.api_key and config.api_secret)


def upload_image(data: bytes, public_id: str) -> dict[str, Any]:
    """Validate the bytes, then upload them (overwrite=True: a new avatar replaces the old)."""
    if detect_image_type(data) is None:
        raise ValueError("File must be a JPEG, PNG, GIF or WebP image")
    result: dict[str, Any] = cloudinary.uploader.upload(data, public_id=public_id, overwrite=True)
    return result


def show_magic_bytes() -> None:
    print("1. Перевірка за magic bytes (перші байти файлу), а не за розширенням чи Content-Type")
    print(f"  {'файл':<11} {'заявлено':<11} {'перші 12 байтів':<36}   рішення")
    for upload in sample_uploads():
        print(describe(upload))
    print(
        "  Розширення і Content-Type задає клієнт: перейменувати malicious.exe → avatar.jpg легко."
    )
    print("  RIFF — це ще й WAV та AVI: WebP лише тоді, коли байти 8–12 = WEBP.")


def show_transformations() -> None:
    print("\n2. URL-трансформації: одне завантаження, будь-який розмір — лише інший URL")
    for label, url in transformation_urls().items():
        print(f"  {label}:\n    {url}")
    print("  Cloudinary робить кожну версію при першому запиті й далі віддає її з CDN.")


def show_upload() -> None:
    print("\n3. Справжнє завантаження в Cloudinary")
    if not credentials_configured():
        print("  Пропускаємо: не задано CLOUDINARY_URL")
        print("  (або CLOUDINARY_CLOUD_NAME + CLOUDINARY_API_KEY + CLOUDINARY_API_SECRET).")
        return
    result = upload_image(tiny_png(), UPLOAD_PUBLIC_ID)
    avatar = CloudinaryImage(result["public_id"]).build_url(
        width=200,
        height=200,
        crop="fill",
        version=result["version"],
        format=result["format"],
        secure=True,
    )
    print(f"  Завантажено: {result['secure_url']}")
    print(f"  Аватар 200×200: {avatar}")


def main() -> None:
    show_magic_bytes()
    show_transformations()
    show_upload()


if __name__ == "__main__":
    main()
