"""The project's fakes of Google and Anthropic, with a fixed delay per request and counters for the bench.

A real call to Google or Claude spends most of its time on the network and the provider; the fakes answer
in a millisecond. ``LatentGoogle`` waits ``latency`` seconds before each HTTP request it answers (a batch
is one request: its parts add nothing, as one round trip carries them), and ``LatentAnthropic`` waits
before each Messages API answer. Both keep the project's own fakes unchanged: the real client libraries
talk to them on loopback.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from bench.corpus import answer_for
from scheduler_site.testing.fake_anthropic import FakeAnthropic, RecordedRequest, Reply
from scheduler_site.testing.fake_google import FakeGoogle, LoggedRequest

API_KEY = "bench-key"


class LatentGoogle(FakeGoogle):
    def __init__(self, *, latency: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latency = latency

    def __enter__(self) -> LatentGoogle:
        self.start()
        return self

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, *, batch: bool = False
    ) -> Any:
        if not batch and self.latency:
            time.sleep(self.latency)
        return super().handle(method, target, headers, body, batch=batch)

    def http_requests(self, *, user: str | None = None, prefix: str = "") -> list[LoggedRequest]:
        """Round trips (a batch counts once, its parts not at all), optionally of one user or API."""
        return [
            r
            for r in self.requests
            if not r.batch and (user is None or r.user in (None, user)) and r.endpoint.startswith(prefix)
        ]

    def calls_by_endpoint(self, *, user: str | None = None) -> Counter[str]:
        """Every call by Google method id, parts of batches included (the batches themselves too)."""
        return Counter(r.endpoint for r in self.requests if user is None or r.user == user)


class LatentAnthropic(FakeAnthropic):
    """Answers every email with ``corpus.answer_for`` after ``latency`` seconds and sums the usage it
    reports, the same way for the product and for the naive pipeline."""

    def __init__(self, *, latency: float) -> None:
        super().__init__(api_key=API_KEY, default=self._answer)
        self.latency = latency
        self.usage: Counter[str] = Counter()
        self._usage_lock = threading.Lock()

    def __enter__(self) -> LatentAnthropic:
        self.start()
        return self

    def _answer(self, request: RecordedRequest) -> Reply:
        return Reply(text=answer_for(request.user_text), delay=self.latency)

    def _usage(self, body: dict[str, Any], output_text: str, reply: Reply) -> dict[str, int]:
        usage = super()._usage(body, output_text, reply)
        with self._usage_lock:
            self.usage.update(usage)
            self.usage["calls"] += 1
        return usage

    def reset(self) -> None:
        with self._usage_lock:
            self.usage.clear()
        self.requests.clear()
