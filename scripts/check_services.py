"""Say in one line which of the test suite's services (PostgreSQL, Redis) is unreachable."""

import os
import socket
import sys
from urllib.parse import urlparse

HINTS = {
    "PostgreSQL": "start it (e.g. `pg_ctlcluster 15 main start`) or set DATABASE_URL",
    "Redis": "start it (e.g. `redis-server --daemonize yes`) or set REDIS_URL",
}


def reachable(url: str, default_port: int) -> bool:
    """Whether a TCP connection to the URL's host and port opens within two seconds."""
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "localhost", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def main() -> int:
    """Exit 1 with one line per missing service."""
    checks = [
        ("PostgreSQL", os.environ.get("DATABASE_URL", ""), 5432),
        ("Redis", os.environ.get("REDIS_URL", ""), 6379),
    ]
    missing = [
        f"{name} is not reachable at {url}: {HINTS[name]}."
        for name, url, port in checks
        if not reachable(url, port)
    ]
    for line in missing:
        print(f"make test: {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
