"""What keeps one caller from swamping the service: a cap on body size and a rate per caller.

Rates are token buckets kept in this process (one API process serves a site; several behind a
balancer each keep their own, which multiplies the allowance by their number). A caller is its
key (by hash, so a flood is refused before the key is looked up in PostgreSQL); failed sign-ins
have a bucket per address of their own, so guessing keys is slow however many keys are tried.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as more than ``limit`` bytes were announced or read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)


@dataclass
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds, for the Retry-After header
    first_refusal: bool = False  # the first refused call of a burst: the one worth an audit row


@dataclass
class _Bucket:
    tokens: float
    at: float
    refusing: bool = False


class RateLimit:
    """``per_minute`` calls a minute for each caller, up to ``burst`` at once."""

    def __init__(self, per_minute: int, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 max_callers: int = 10_000) -> None:
        if per_minute <= 0 or burst <= 0:
            raise ValueError("per_minute and burst must be above 0")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._max_callers = max_callers
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _bucket(self, caller: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = self._buckets[caller] = _Bucket(self.burst, now)
            while len(self._buckets) > self._max_callers:  # the longest quiet callers go first
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(caller)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        return bucket

    def take(self, caller: str) -> Verdict:
        """Spend one call of ``caller``'s allowance, or say how long to wait."""
        return self._verdict(caller, spend=True)

    def check(self, caller: str) -> Verdict:
        """As `take`, without spending: is anything left for ``caller`` right now?"""
        return self._verdict(caller, spend=False)

    def _verdict(self, caller: str, *, spend: bool) -> Verdict:
        bucket = self._bucket(caller)
        if bucket.tokens >= 1.0:
            if spend:
                bucket.tokens -= 1.0
            bucket.refusing = False
            return Verdict(True)
        first = not bucket.refusing
        bucket.refusing = True
        return Verdict(False, retry_after=max(1, math.ceil((1.0 - bucket.tokens) / self.rate)), first_refusal=first)
