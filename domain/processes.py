"""Every ITIL process the desk runs. Importing this module registers them all with the
kernel (notification kinds, subject snapshots, timer handlers); add a new process here."""

from domain import (
    access,
    audit,  # noqa: F401  (the audit trail: its records, timer and kind)
    events,
    incidents,
    major,
    metrics,  # noqa: F401  (measuring: reports, the weekly digest's timer and kinds)
    oncall,
    problems,
    requests,
    sign_in,  # noqa: F401  (dashboard sign-in: links by DM, web sessions)
    surveys,
)
from domain.directory import builtin  # noqa: F401  (the built-in directory's records)

PROCESSES = (incidents, problems, requests, access, major, events, oncall, surveys)
