"""Every ITIL process the desk runs. Importing this module registers them all with the
kernel (notification kinds, subject snapshots, timer handlers); add a new process here."""

from domain import (
    access,
    audit,  # noqa: F401  (the audit trail: its records, timer and kind)
    events,
    incidents,
    major,
    oncall,
    problems,
    requests,
    surveys,
)
from domain.directory import builtin  # noqa: F401  (the built-in directory's records)

PROCESSES = (incidents, problems, requests, access, major, events, oncall, surveys)
