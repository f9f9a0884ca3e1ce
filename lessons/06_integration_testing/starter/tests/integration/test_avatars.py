"""Avatar uploads: magic-byte validation, size limits, local storage and the Cloudinary service."""


# TODO(06) [чекпойнт 06.9]: інтеграційні тести POST /api/v1/users/me/avatar (fixture `client`,
#   `auth_headers`, `media_dir` — локальне сховище у тимчасовій теці замість Cloudinary):
#   - JPEG/PNG/GIF/WebP (перевірка за magic bytes) → 200 і avatar_url у відповіді та в базі;
#   - не картинка (навіть з content_type image/jpeg) → 422, файл не збережено;
#   - більше за MAX_AVATAR_BYTES → 413; неверифікований користувач → 403, без токена → 401;
#   - Cloudinary: замініть cloudinary.uploader.upload через monkeypatch, мережі в тестах немає.
