"""Ports for the servers tests start.

A port the OS hands out for port 0 comes from the ephemeral range (32768-60999 here), the same range
from which the Temporal dev server takes ports for its own services and every outgoing connection
takes its local port: between our pick and the server's bind, one of those could take it (a demo
run failed so: "cannot listen on 127.0.0.1:43087: address already in use"). So ports come from
below that range, where nothing binds by chance, checked free, and never handed out twice by one
process.
"""

from __future__ import annotations

import random
import socket

_LOW, _HIGH = 20000, 32767  # below Linux's default ephemeral range
_given: set[int] = set()
_pick = random.SystemRandom()


def free_port() -> int:
    for _ in range(1000):
        port = _pick.randint(_LOW, _HIGH)
        if port in _given:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port between {_LOW} and {_HIGH}")
