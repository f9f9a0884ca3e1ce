"""Reading an uploaded file without trusting its size."""

from fastapi import UploadFile


async def read_upload(file: UploadFile) -> bytes:
    """At most the limit + 1 bytes: enough to tell "too large" without loading a huge file."""
    # TODO(02) [чекпойнт 02.3]: прочитайте не більше MAX_AVATAR_BYTES + 1 байт.
    raise NotImplementedError
