"""A circuit breaker per backend: stop sending to a replica that keeps failing, try it again later."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; after `reset_timeout` seconds one trial
    call is let through (half-open): success closes the circuit, failure opens it again."""

    def __init__(self, failure_threshold: int = 5, reset_timeout: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self.reset_timeout else "open"

    def allow(self) -> bool:
        """Whether a call may go to this backend now; in half-open state, only one at a time."""
        with self._lock:
            state = self.state
            if state == "closed":
                return True
            if state == "half_open" and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def retry_after(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.reset_timeout - (self._clock() - self._opened_at))

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
            self._trial_running = False

    def release_trial(self) -> None:
        """End a half-open trial that neither succeeded nor failed (e.g. a 400)."""
        with self._lock:
            self._trial_running = False
