"""Request fulfilment: standard requests from a service catalogue, approved by the people
its rules name, fulfilled by a team's task or by the directory.

Importing the package registers the process with the kernel (notification kinds, how a
request appears in notifications, its timers and their loader, renaming people).
"""

from domain import notifications, people, timers
from domain.catalog import CatalogItem, FormField, Fulfilment
from domain.requests import timer_handlers
from domain.requests.answers import InvalidAnswers, MissingAnswers, check_answers
from domain.requests.lifecycle import (
    approve_request,
    cancel_request,
    claim_request,
    comment_request,
    deny_request,
    find_item,
    fulfil_request,
    get_request,
    manager_of,
    retry_request,
    submit_request,
)
from domain.requests.password_reset import (
    CodeToSend,
    PolicyRefused,
    ResetRefused,
    TooManyResets,
    WrongCode,
    check_code,
    mask,
    open_link,
    peek_link,
    resend_code,
    screen_chat_message,
    set_new_password,
    start_reset,
)
from domain.requests.password_reset import mint_token as mint_reset_token
from domain.requests.queries import (
    RequestDetail,
    RequestList,
    catalog_for,
    list_requests,
    show_request,
)
from domain.requests.records import RequestEvent, RequestRecord
from domain.requests.renames import rename_person
from domain.requests.snapshot import request_data
from domain.requests.states import KINDS, REQUEST

PROCESS = "request"

notifications.register_kinds(PROCESS, KINDS)
notifications.register_subject(notifications.SubjectType("request", REQUEST, request_data, "REQ"))
timers.register_loader(REQUEST.subject_type, timer_handlers.load_requests)
people.RENAMERS.append(rename_person)

__all__ = [
    "KINDS",
    "REQUEST",
    "CatalogItem",
    "CodeToSend",
    "PolicyRefused",
    "ResetRefused",
    "TooManyResets",
    "WrongCode",
    "check_code",
    "mask",
    "mint_reset_token",
    "open_link",
    "peek_link",
    "resend_code",
    "screen_chat_message",
    "set_new_password",
    "start_reset",
    "FormField",
    "Fulfilment",
    "InvalidAnswers",
    "MissingAnswers",
    "RequestDetail",
    "RequestEvent",
    "RequestList",
    "RequestRecord",
    "approve_request",
    "cancel_request",
    "catalog_for",
    "check_answers",
    "claim_request",
    "comment_request",
    "deny_request",
    "find_item",
    "fulfil_request",
    "get_request",
    "list_requests",
    "manager_of",
    "retry_request",
    "show_request",
    "submit_request",
]
