"""Access management: time-bound access to resources' roles (directory groups), approved by
the resources' owners, ended in the directory at expiry or revocation, reviewed by the
owners, and reconciled with the directory.

Importing the package registers the process with the kernel (notification kinds, how a
grant appears in notifications, its timers, the periodic jobs).
"""

from domain import notifications, timers
from domain.access import lifecycle, reviews, timer_handlers
from domain.access.lifecycle import (
    approve_access,
    break_glass_allowed,
    cancel_access,
    deny_access,
    find_resource,
    get_grant,
    renew_access,
    request_access,
    revoke_access,
)
from domain.access.queries import (
    GrantDetail,
    GrantList,
    list_grants,
    may_see,
    my_grants,
    resources_for,
    show_grant,
)
from domain.access.reconcile import Drift, Reconciliation, reconcile, report
from domain.access.records import AccessEvent, AccessGrant, AccessJob, AccessReview
from domain.access.reviews import keep_access, start_review, waiting_items
from domain.access.snapshot import access_data
from domain.access.states import ACCESS, KINDS
from domain.access_resources import AccessSettings, BreakGlass, Resource

PROCESS = "access"

notifications.register_kinds(PROCESS, KINDS)
notifications.register_subject(notifications.SubjectType("access", ACCESS, access_data, "ACC"))
timers.register_loader(AccessGrant.subject_type, timer_handlers.load_grants)
timers.register_loader(AccessReview.subject_type, timer_handlers.load_reviews)
timers.register_loader(AccessJob.subject_type, timer_handlers.load_jobs)
timers.ON_START.append(timer_handlers.schedule_jobs)
lifecycle.ON_REVOKE.append(reviews.note_revoked)

__all__ = [
    "ACCESS",
    "KINDS",
    "AccessEvent",
    "AccessGrant",
    "AccessReview",
    "AccessSettings",
    "BreakGlass",
    "Drift",
    "GrantDetail",
    "GrantList",
    "Reconciliation",
    "Resource",
    "access_data",
    "approve_access",
    "break_glass_allowed",
    "cancel_access",
    "deny_access",
    "find_resource",
    "get_grant",
    "keep_access",
    "list_grants",
    "may_see",
    "my_grants",
    "reconcile",
    "renew_access",
    "report",
    "request_access",
    "resources_for",
    "revoke_access",
    "show_grant",
    "start_review",
    "waiting_items",
]
