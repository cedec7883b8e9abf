"""The traffic `bench.events` sends: what monitoring systems post, in a realistic mix.

Single events (generic and PagerDuty), one per request: a pool of `POOL` keys, each with
a fixed severity (90% warning, 8% info, 2% critical) and service. Every pool key is
triggered once before the measurement, so during it a request is

- 94%: a repeat trigger of a live pool key (counted and de-duplicated, no new event);
- 3%: a resolve of a pool key, whose slot then gets a fresh key: its next request is a
  new event (so about 3% of requests are new events, about 3% resolve one);
- 3%: a trigger of a key never seen before (a new event, which then joins the pool).

Alertmanager: `GROUPS` groups of 100 alerts (one alertname each, one groupKey each; 90%
of groups warning, 10% critical), each notification resending the whole group as
Alertmanager does every `group_interval`. Every group is sent once before the measurement;
during it a notification is

- 88%: the group resent unchanged (100 repeats);
- 10%: one alert of the group resolved (sent as resolved beside the 99 still firing, as
  Alertmanager does with `send_resolved`); its slot gets a new alert at the next send;
- 2%: the group resolved as a whole (all 100 alerts resolved) and replaced in the pool
  by a new group, whose first notification is 100 new alerts.

A sender never has two requests about one key (or one group) in flight at once, so they
arrive in the order they were made, as from one Alertmanager or one PagerDuty client.

The storm: `AlertmanagerMix.storm` — 10,000 critical alerts of one new group, as 100 notifications
of 100 alerts each, sent one after another (Alertmanager never has two notifications of
one group in flight).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

SERVICES = ("vpn", "wifi", "email", "laptop")
POOL = 2000  # live keys per single-event integration
GROUPS = 50  # live Alertmanager groups
GROUP_SIZE = 100  # alerts per notification
SEVERITIES = (("warning", 0.90), ("info", 0.08), ("critical", 0.02))
GROUP_SEVERITIES = (("warning", 0.90), ("critical", 0.10))
CHECKS = ("disk", "cpu", "memory", "certificate", "backup-age", "queue-depth", "latency")


def _pick(rng: random.Random, weights: tuple[tuple[str, float], ...]) -> str:
    names, chances = zip(*weights, strict=True)
    return rng.choices(names, chances)[0]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Request:
    """One HTTP request to send: where, what, and how many signals it carries."""

    path: str
    body: bytes
    headers: dict[str, str]
    signals: int
    holds: str | None = None  # the key or group it is about: never two in flight


class Exclusive:
    """What is in flight: a sender never has two requests about one key or one group in
    flight (Alertmanager sends a group's notifications one after another), so they arrive
    in the order they were made."""

    def __init__(self) -> None:
        self.busy: set[str] = set()

    def free(self, rng: random.Random, count: int, name) -> int:
        """A random index in range(count) whose `name(index)` is not in flight."""
        for _ in range(50):
            index = rng.randrange(count)
            if name(index) not in self.busy:
                return index
        return next(i for i in range(count) if name(i) not in self.busy)

    def hold(self, request: Request) -> Request:
        if request.holds is not None:
            self.busy.add(request.holds)
        return request

    def done(self, request: Request) -> None:
        """The request was answered."""
        self.busy.discard(request.holds)


@dataclass
class Key:
    """One pool key of a single-event source."""

    key: str
    severity: str
    service: str
    host: str
    check: str


class SingleMix(Exclusive):
    """Generic or PagerDuty events, one per request, from a pool of live keys."""

    REPEAT, RESOLVE = 0.94, 0.03  # the rest: a brand-new key

    def __init__(self, kind: str, token: str, seed: int = 1, pool: int = POOL) -> None:
        super().__init__()
        self.kind = kind  # generic | pagerduty
        self.token = token
        self.rng = random.Random(seed)
        self.serial = 0
        self.pool = [self._new_key() for _ in range(pool)]
        if kind == "generic":
            self.path = "/api/v1/events"
            self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        else:
            self.path = "/v2/enqueue"
            self.headers = {"Content-Type": "application/json"}

    def _new_key(self) -> Key:
        self.serial += 1
        host = f"host-{self.rng.randrange(400):03d}"
        check = self.rng.choice(CHECKS)
        return Key(
            key=f"{check}/{host}/{uuid.UUID(int=self.rng.getrandbits(128)).hex[:12]}",
            severity=_pick(self.rng, SEVERITIES),
            service=self.rng.choice(SERVICES),
            host=host,
            check=check,
        )

    def warm_up(self) -> list[Request]:
        """One trigger of every pool key: afterwards they are live events."""
        return [self._request(key, "trigger") for key in self.pool]

    def next(self) -> Request:
        """The next request of the mix."""
        roll = self.rng.random()
        slot = self.free(self.rng, len(self.pool), lambda i: self.pool[i].key)
        if roll < self.REPEAT:
            return self.hold(self._request(self.pool[slot], "trigger"))
        if roll < self.REPEAT + self.RESOLVE:
            key = self.pool[slot]
            self.pool[slot] = self._new_key()  # the slot's next request is a new event
            return self.hold(self._request(key, "resolve"))
        key = self._new_key()
        self.pool[slot] = key
        return self.hold(self._request(key, "trigger"))

    def _request(self, key: Key, action: str) -> Request:
        value = self.rng.randrange(50, 100)
        summary = f"{key.check} on {key.host} at {value}% (threshold 90%)"
        if self.kind == "generic":
            body = {
                "key": key.key,
                "status": "firing" if action == "trigger" else "resolved",
                "summary": summary,
                "severity": key.severity,
                "service": key.service,
                "source": f"checks@{key.host}",
                "labels": {"host": key.host, "check": key.check, "env": "prod"},
                "details": {"value": value, "threshold": 90, "unit": "%", "runbook": "RB-12"},
            }
        else:
            body = {
                "routing_key": self.token,
                "dedup_key": key.key,
                "event_action": action,
                "client": "Bench Monitoring",
                "client_url": f"https://monitoring.example.com/hosts/{key.host}",
                "links": [{"href": f"https://monitoring.example.com/{key.key}", "text": "check"}],
            }
            if action == "trigger":
                body["payload"] = {
                    "summary": summary,
                    "source": key.host,
                    "severity": key.severity,
                    "component": key.check,
                    "group": key.service,
                    "class": "threshold",
                    "timestamp": _now(),
                    "custom_details": {"value": value, "threshold": 90},
                }
        return Request(self.path, json.dumps(body).encode(), self.headers, 1, key.key)


@dataclass
class Group:
    """One Alertmanager group in the pool: its alerts by slot."""

    name: str
    severity: str
    service: str
    alerts: list[dict] = field(default_factory=list)
    body: bytes | None = None  # the last notification, while nothing changed


class AlertmanagerMix(Exclusive):
    """Alertmanager notifications of whole groups of GROUP_SIZE alerts."""

    RESEND, TURNOVER = 0.88, 0.10  # the rest: the group resolves and a new one replaces it

    def __init__(self, token: str, seed: int = 2, groups: int = GROUPS) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.serial = 0
        self.path = "/api/v1/events/alertmanager"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.groups = [self._new_group() for _ in range(groups)]

    def _new_group(
        self, severity: str | None = None, size: int = GROUP_SIZE, name: str | None = None
    ) -> Group:
        self.serial += 1
        group = Group(
            name=name or f"BenchAlert{self.serial:05d}",
            severity=severity or _pick(self.rng, GROUP_SEVERITIES),
            service=self.rng.choice(SERVICES),
        )
        group.alerts = [self._alert(group, i) for i in range(size)]
        return group

    def _alert(self, group: Group, slot: int) -> dict:
        instance = f"node-{slot:03d}.{group.service}.example.org:9100"
        labels = {
            "alertname": group.name,
            "instance": instance,
            "job": f"{group.service}-exporter",
            "namespace": "prod",
            "service": group.service,
            "severity": group.severity,
        }
        return {
            "status": "firing",
            "labels": labels,
            "annotations": {
                "summary": f"{group.name} on {instance}",
                "description": f"{group.name}: value above threshold on {instance} for 5m.",
                "runbook_url": f"https://runbooks.example.org/{group.name}",
            },
            "startsAt": _now(),
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": f"http://prometheus.example.org:9090/graph?g0.expr={group.name}",
            "fingerprint": uuid.UUID(int=self.rng.getrandbits(128)).hex[:16],
        }

    def warm_up(self) -> list[Request]:
        """One notification of every group: afterwards its alerts are live events."""
        return [self._request(group, group.alerts) for group in self.groups]

    def next(self) -> Request:
        """The next notification of the mix."""
        roll = self.rng.random()
        index = self.free(self.rng, len(self.groups), lambda i: self.groups[i].name)
        group = self.groups[index]
        if roll < self.RESEND:
            if group.body is None:
                group.body = self._request(group, group.alerts).body
            request = Request(self.path, group.body, self.headers, len(group.alerts), group.name)
            return self.hold(request)
        if roll < self.RESEND + self.TURNOVER:
            slot = self.rng.randrange(len(group.alerts))
            gone = dict(group.alerts[slot], status="resolved", endsAt=_now())
            alerts = group.alerts[:slot] + [gone] + group.alerts[slot + 1 :]
            group.alerts[slot] = self._alert(group, slot)  # a new alert in its place next time
            group.body = None
            return self.hold(self._request(group, alerts))
        resolved = [dict(a, status="resolved", endsAt=_now()) for a in group.alerts]
        self.groups[index] = self._new_group()
        return self.hold(self._request(group, resolved))

    def storm(self, alerts: int = 10_000, batch: int = GROUP_SIZE) -> list[Request]:
        """`alerts` critical alerts of one new group, in notifications of `batch`."""
        group = self._new_group("critical", size=alerts, name="BenchStorm")
        return [
            self._request(group, group.alerts[start : start + batch])
            for start in range(0, alerts, batch)
        ]

    def _request(self, group: Group, alerts: list[dict]) -> Request:
        firing = any(a["status"] == "firing" for a in alerts)
        common = {"alertname": group.name, "service": group.service, "severity": group.severity}
        body = {
            "receiver": "deskbot",
            "status": "firing" if firing else "resolved",
            "alerts": alerts,
            "groupLabels": {"alertname": group.name},
            "commonLabels": common,
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example.org:9093",
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{group.name}"}}',
            "truncatedAlerts": 0,
        }
        return Request(self.path, json.dumps(body).encode(), self.headers, len(alerts), group.name)
