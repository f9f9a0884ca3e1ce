"""Rate limiting with SlowAPI: 5 registrations and 10 logins a minute per client IP.

Block 3 of the lesson plan ("Rate Limiting"), step 4. Start the server in one terminal:

    python standalone_examples/04_rate_limiting.py            # 127.0.0.1:8001
    python standalone_examples/04_rate_limiting.py --port 8002 --host 0.0.0.0

and send 7 registrations from another; the 6th and 7th get 429 with a Retry-After header:

    for i in $(seq 1 7); do
        curl -s -w "\\nHTTP %{http_code}\\n" -X POST http://localhost:8001/register \\
        -H "Content-Type: application/json" -d '{"email":"x@x.com","password":"123"}'
    done

The counters live in this process's memory. With REDIS_URL (e.g. redis://localhost:6379) they
live in Redis, so every instance of the app counts against the same limit. RATE_LIMIT_PREFIX
(default "demo04") starts each counter's key, keeping apps that share one Redis apart.
"""

import argparse
import os
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

STORAGE_URI = os.environ.get("REDIS_URL", "memory://")

limiter = Limiter(
    key_func=get_remote_address,  # one counter per client IP
    storage_uri=STORAGE_URI,
    key_prefix=os.environ.get("RATE_LIMIT_PREFIX", "demo04"),
    headers_enabled=True,  # X-RateLimit-* on every answer, Retry-After on the 429
)
app = FastAPI(title="Rate limiting demo")
app.state.limiter = limiter  # SlowAPI finds the limiter here
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)


class Credentials(BaseModel):
    email: str
    password: str


# With headers_enabled a limited endpoint needs `request` and `response`: SlowAPI writes the
# X-RateLimit-* headers into the response.
@app.post("/register", status_code=201)
@limiter.limit("5/minute")
async def register(request: Request, response: Response, body: Credentials) -> dict[str, str]:
    return {"message": f"{body.email} registered (demo: nothing is stored)"}


@app.post("/login")
@limiter.limit("10/minute")  # a mistyped password is common: a little more lenient
async def login(request: Request, response: Response, body: Credentials) -> dict[str, str]:
    return {"message": f"{body.email} logged in (demo: any password works)"}


def describe_storage(uri: str) -> str:
    """Where the counters live, in words, without the password a Redis URL may carry."""
    parts = urlsplit(uri)
    if parts.scheme == "memory":
        return "у пам'яті процесу (memory://): кожен інстанс рахує окремо, рестарт їх обнуляє"
    safe = uri.replace(f":{parts.password}@", ":***@") if parts.password else uri
    return f"у Redis ({safe}): спільні для всіх інстансів застосунку"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="SlowAPI rate limiting demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    print(f"Лічильники rate limit: {describe_storage(STORAGE_URI)}")
    print("Ліміти на IP клієнта: POST /register — 5/minute, POST /login — 10/minute")
    print(f"6-й POST http://{args.host}:{args.port}/register за хвилину → 429 + Retry-After")
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
