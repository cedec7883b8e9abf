"""Measuring the desk: reports (MTTA, MTTR, SLA compliance, backlog, reopen and
first-contact rates, requests, access, satisfaction, problems) computed in SQL from the
stored timestamps, and the weekly digest that posts one to a channel.

Importing the package registers its notification kinds, the digest's timer subject and
its start-up scheduling. Definitions of every figure: docs/metrics.md.
"""

from domain import notifications, timers
from domain.metrics import digest
from domain.metrics.lists import breaches, longest_open, low_csat
from domain.metrics.records import MetricsJob
from domain.metrics.report import Report, build_report, report_for
from domain.metrics.scope import Scope, resolve_scope
from domain.metrics.sql import Stat
from domain.metrics.states import KINDS

PROCESS = "metrics"

notifications.register_kinds(PROCESS, KINDS)
timers.register_loader(MetricsJob.subject_type, digest.load_jobs)
timers.ON_START.append(digest.schedule_digest)

__all__ = [
    "KINDS",
    "MetricsJob",
    "Report",
    "Scope",
    "Stat",
    "breaches",
    "build_report",
    "longest_open",
    "low_csat",
    "report_for",
    "resolve_scope",
]
