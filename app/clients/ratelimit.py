"""Client-side rate limiting for Zendesk: queue a burst locally instead of collecting 429s.

Zendesk limits requests per minute per account (200–2,500 by plan) and, separately, ticket
updates (100/min per account).
https://developer.zendesk.com/api-reference/introduction/rate-limits/
A 429 costs a round trip and a `Retry-After` wait for *every* caller, so the client keeps itself
below the limits and only falls back to the server's answer when another integration shares the
account's budget.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class SlidingWindowLimiter:
    """At most `limit` acquisitions in any `window_seconds`; callers beyond that wait their turn.

    A sliding log (one timestamp per call) rather than a token bucket: Zendesk counts calls per
    minute, and a bucket refilling at limit/60 per second would allow a full burst plus refill,
    overshooting the real window.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        # One waiter at a time keeps the queue first-come, first-served.
        self._lock = asyncio.Lock()

    def _prune(self, now: float) -> None:
        horizon = now - self.window_seconds
        while self._stamps and self._stamps[0] <= horizon:
            self._stamps.popleft()

    def delay(self) -> float:
        """Seconds until one more call would fit; 0 when it fits now."""
        now = self._clock()
        self._prune(now)
        if len(self._stamps) < self.limit:
            return 0.0
        return max(0.0, self._stamps[0] + self.window_seconds - now)

    async def acquire(self) -> float:
        """Wait for a slot and take it; returns how long this call waited."""
        waited = 0.0
        async with self._lock:
            while (wait := self.delay()) > 0:
                waited += wait
                await self._sleep(wait)
            self._stamps.append(self._clock())
        return waited


def _header_float(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


class ZendeskRateLimiter:
    """The account-wide request limit, the ticket-update limit, and server-announced pauses."""

    def __init__(
        self,
        *,
        requests_per_minute: int,
        updates_per_minute: int,
        window_seconds: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.requests = SlidingWindowLimiter(
            requests_per_minute, window_seconds, clock=clock, sleep=sleep
        )
        self.updates = SlidingWindowLimiter(
            updates_per_minute, window_seconds, clock=clock, sleep=sleep
        )
        self._paused_until = 0.0

    @property
    def paused_for(self) -> float:
        """Seconds left of a pause Zendesk asked for; 0 when none."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` (extends, never shortens, a running pause)."""
        if seconds > 0:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, *, is_update: bool) -> float:
        """Wait until a call may go out; returns the total wait."""
        waited = 0.0
        # Updates take their own slot first so a queue of updates does not hold general slots
        # it cannot use yet.
        if is_update:
            waited += await self.updates.acquire()
        waited += await self.requests.acquire()
        while (pause := self.paused_for) > 0:
            waited += pause
            await self._sleep(pause)
        return waited

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt to the budget Zendesk reports: at 0 remaining, pause until it resets.

        `ratelimit-remaining`/`ratelimit-reset` (seconds) are the IETF-draft headers Zendesk
        sends next to the older `X-Rate-Limit-Remaining`; without a reset value we cannot know
        when the window turns, so we rely on the 429's `Retry-After` instead of guessing.
        """
        remaining = _header_float(headers, "ratelimit-remaining")
        if remaining is None:
            remaining = _header_float(headers, "x-rate-limit-remaining")
        if remaining is None or remaining > 0:
            return
        reset = _header_float(headers, "ratelimit-reset")
        if reset is None:
            reset = _header_float(headers, "retry-after")
        if reset is not None:
            self.pause(min(reset, 60.0))
