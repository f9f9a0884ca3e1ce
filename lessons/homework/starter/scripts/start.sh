#!/bin/sh
# The one start command of the contacts API: the Docker image's CMD, the Render blueprint and the
# stack tests all run this file, so there is exactly one place to change it.
#
#   1. `alembic upgrade head` is idempotent, so it runs on every start; if it fails, `set -e`
#      stops here and uvicorn never starts: a broken migration is visible at once.
#   2. `exec` makes uvicorn PID 1 of the container: it gets SIGTERM and shuts down cleanly.
#   3. --proxy-headers: the client's address comes from X-Forwarded-For (rate limits are per IP),
#      but only when the request arrives from an address in FORWARDED_ALLOW_IPS, and then the
#      right-most address no trusted proxy owns. The default trusts nobody but localhost; set it
#      to your proxies' addresses or networks (render.yaml: the private ranges). Never '*': uvicorn
#      then takes the left-most entry, which the client writes itself.
set -e
cd "$(dirname "$0")/.."

alembic upgrade head
exec uvicorn app.main:app --host 0.0.0.0 --port "${PORT:-8000}" \
  --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
