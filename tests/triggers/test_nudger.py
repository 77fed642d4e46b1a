"""The web process tells the workers about new webhook events at once, and a burst of
deliveries costs one Celery message per interval, not one each."""

from __future__ import annotations

import time

from apps.triggers import events, tasks


def test_the_first_nudge_goes_at_once_and_a_burst_sends_one_message_per_interval(monkeypatch):
    sent: list[float] = []
    monkeypatch.setattr(tasks.start_pending_events, "apply_async", lambda *a, **kw: sent.append(time.monotonic()))
    nudger = events._Nudger(interval=1.0)

    started = time.monotonic()
    while time.monotonic() - started < 1.5:  # a delivery every 10 ms for 1.5 s
        nudger.nudge()
        time.sleep(0.01)
    time.sleep(1.0)

    assert sent[0] - started < 0.8, "the first message does not wait for the interval"
    assert len(sent) == 3, "one message per interval: at once, after 1 s, after 2 s"
    assert all(later - earlier >= 0.95 for earlier, later in zip(sent, sent[1:]))
