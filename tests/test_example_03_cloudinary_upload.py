"""standalone_examples/03_cloudinary_upload.py: magic bytes, offline URLs, and a real upload.

The upload runs the script as a child process against a stand-in for Cloudinary's upload API on
127.0.0.1 (CLOUDINARY_UPLOAD_PREFIX, which the SDK reads with the other CLOUDINARY_* settings).
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from child_processes import child_env
from support import load_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "standalone_examples" / "03_cloudinary_upload.py"
PLAN_URL = "https://res.cloudinary.com/demo/image/upload/w_200,h_200,c_fill/avatar_42.jpg"
RUN_SECONDS = 60


example = load_script(SCRIPT, "example_03_cloudinary_upload")


def run_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        check=False,  # the assertion below shows the output
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# --- magic bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"GIF87a\x01\x00", "image/gif"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"RIFF\x24\x00\x00\x00AVI LIST", None),
        (b"RIFF", None),
        (b"\x89PNG\r\n", None),  # a truncated signature
        (b"GIF8", None),
        (b"MZ\x90\x00", None),
        (b"hello", None),
        (b"", None),
    ],
)
def test_detect_image_type(data: bytes, expected: str | None) -> None:
    assert example.detect_image_type(data) == expected


def test_the_samples_are_judged_by_their_bytes_not_their_claims() -> None:
    verdicts = {
        (upload.filename, upload.content_type): example.detect_image_type(upload.data)
        for upload in example.sample_uploads()
    }
    assert verdicts == {
        ("photo.jpg", "image/jpeg"): "image/jpeg",
        ("avatar.png", "image/png"): "image/png",
        ("old.gif", "image/gif"): "image/gif",
        ("anim.gif", "image/gif"): "image/gif",
        ("photo.webp", "image/webp"): "image/webp",
        ("notes.png", "image/png"): None,
        ("avatar.jpg", "image/jpeg"): None,  # an .exe renamed
        ("song.webp", "image/webp"): None,  # a WAV: RIFF, but not WEBP
        ("empty.jpg", "image/jpeg"): None,
    }


def test_tiny_png_is_a_well_formed_png() -> None:
    data = example.tiny_png(size=4, rgb=(1, 2, 3))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks: dict[bytes, bytes] = {}
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks[kind] = body
        offset += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[b"IHDR"]) == (4, 4, 8, 2, 0, 0, 0)
    assert zlib.decompress(chunks[b"IDAT"]) == (b"\x00" + b"\x01\x02\x03" * 4) * 4


# --- URL transformations and the upload ---------------------------------------------------------


def test_transformation_urls_are_built_offline_for_the_demo_cloud() -> None:
    base = "https://res.cloudinary.com/demo/image/upload/"
    urls = list(example.transformation_urls().values())
    assert urls == [
        PLAN_URL,
        f"{base}c_fill,h_200,w_200/avatar_42.jpg",
        f"{base}c_thumb,g_face,h_100,w_100/r_max/avatar_42.png",
        f"{base}f_auto,q_auto/avatar_42",
    ]


def test_upload_image_rejects_a_fake_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_upload(*args: object, **kwargs: object) -> None:
        raise AssertionError("a non-image must not be uploaded")

    monkeypatch.setattr(example.cloudinary.uploader, "upload", no_upload)
    with pytest.raises(ValueError, match="JPEG, PNG, GIF or WebP"):
        example.upload_image(b"MZ\x90\x00 renamed to avatar.jpg", "avatar_42")


def test_the_script_runs_offline_and_skips_the_upload() -> None:
    out = run_script(child_env(drop=["CLOUDINARY_"])).stdout
    assert PLAN_URL in out
    assert out.count("ВІДХИЛЕНО (422)") == 4
    assert out.count("прийнято як image/") == 5
    assert "Пропускаємо: не задано CLOUDINARY_URL" in out
    assert "Завантажено:" not in out


@dataclass
class FakeCloudinary:
    """Answers Cloudinary's upload API like the real one, and keeps what it received."""

    prefix: str
    requests: list[tuple[str, bytes]] = field(default_factory=list)


@pytest.fixture
def fake_cloudinary() -> Iterator[FakeCloudinary]:
    answer = {
        "public_id": "module14_demo/avatar_42",
        "version": 1700000000,
        "format": "png",
        "secure_url": "https://res.cloudinary.com/test-cloud/image/upload/v1700000000/"
        "module14_demo/avatar_42.png",
    }
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append((self.path, self.rfile.read(length)))
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeCloudinary(f"http://127.0.0.1:{server.server_port}", received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_with_credentials_the_script_uploads_a_validated_png(
    fake_cloudinary: FakeCloudinary,
) -> None:
    env = child_env(
        drop=["CLOUDINARY_"],
        CLOUDINARY_CLOUD_NAME="test-cloud",
        CLOUDINARY_API_KEY="test-key",
        CLOUDINARY_API_SECRET="test-secret",
        CLOUDINARY_UPLOAD_PREFIX=fake_cloudinary.prefix,
    )
    out = run_script(env).stdout

    assert len(fake_cloudinary.requests) == 1
    path, body = fake_cloudinary.requests[0]
    assert path == "/v1_1/test-cloud/image/upload"
    assert b'name="public_id"\r\n\r\nmodule14_demo/avatar_42\r\n' in body
    assert b'name="overwrite"\r\n\r\n1\r\n' in body
    assert b'name="signature"' in body  # signed with the secret, which itself is never sent
    assert b"test-secret" not in body
    assert b"\x89PNG\r\n\x1a\n" in body
    assert "Пропускаємо" not in out
    assert (
        "Завантажено: https://res.cloudinary.com/test-cloud/image/upload/v1700000000/"
        "module14_demo/avatar_42.png" in out
    )
    assert (
        "Аватар 200×200: https://res.cloudinary.com/test-cloud/image/upload/"
        "c_fill,h_200,w_200/v1700000000/module14_demo/avatar_42.png" in out
    )
