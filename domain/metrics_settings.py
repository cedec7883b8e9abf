"""The `metrics:` section as plain values: who may scrape /metrics, the weekly digest, the
public status page. Beside the process so the config reads it without importing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time


@dataclass(frozen=True)
class Digest:
    """The weekly digest: posted to `channel` each `weekday` (0 = Monday) at `at` in `zone`."""

    channel: str
    weekday: int = 0
    at: time = time(9, 0)
    zone: str = "UTC"


@dataclass(frozen=True)
class StatusPage:
    """The public status page at /status; off unless the config turns it on."""

    enabled: bool = False
    title: str = "Service status"
    # The services shown, in this order; empty means every configured service.
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricsSettings:
    """Measuring the desk: the Prometheus scrape, the digest and the status page."""

    # The environment variable holding the bearer token Prometheus must send; None: /metrics
    # is off (404), as it is when the variable is unset or empty.
    scrape_token_env: str | None = None
    digest: Digest | None = None
    status_page: StatusPage = field(default_factory=StatusPage)
