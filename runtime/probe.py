"""Health probe for containers whose image has no curl: `python -m runtime.probe URL|tcp://HOST:PORT`.

Exit 0 when an HTTP GET answers below 500 (or the TCP port accepts a connection) within 3 s, else 1.
"""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m runtime.probe http://HOST:PORT/PATH | tcp://HOST:PORT", file=sys.stderr)
        return 2
    target = urlsplit(argv[0])
    try:
        if target.scheme == "tcp":
            with socket.create_connection((target.hostname, target.port), timeout=3):
                return 0
        with urllib.request.urlopen(argv[0], timeout=3) as reply:  # noqa: S310 - our own probe URL
            return 0 if reply.status < 500 else 1
    except urllib.error.HTTPError as error:
        return 0 if error.code < 500 else 1
    except OSError as error:
        print(f"probe {argv[0]}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
