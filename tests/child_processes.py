"""Helpers for the child processes the tests start: a free port, their output as it comes."""

from __future__ import annotations

import re
import socket
import threading


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Output:
    """Collects a child's merged stdout/stderr in a thread, so the pipe never fills up."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def find(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        with self._lock:
            for line in self.lines:
                match = pattern.search(line)
                if match:
                    return match
        return None

    def count(self, needle: str) -> int:
        with self._lock:
            return sum(line.count(needle) for line in self.lines)

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def close(self) -> None:
        self._thread.join(timeout=5)
