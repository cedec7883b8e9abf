"""Timers for any subject: rows that fall due, claimed in batches and fired by the handler
their process registered for the timer's kind.

Claiming locks timer rows only (FOR UPDATE SKIP LOCKED, oldest first). A handler then takes
its subject with SKIP LOCKED too: use cases lock a subject and then its timers, so a worker
that waited on a subject could deadlock with a command waiting on the worker. A timer whose
subject is busy stays pending and is taken on a later pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from domain.context import DeskContext
from domain.records import Timer

# (ctx, timer, subject) -> None; the subject was loaded and locked by its type's loader.
TimerHandler = Callable[[DeskContext, Timer, Any], None]
# (ctx, ids) -> {id: subject}, locking with SKIP LOCKED: busy subjects are left out.
SubjectLoader = Callable[[DeskContext, list[str]], dict[str, Any]]

# (ctx, [(timer, subject), …]) -> None: a kind whose timers of one batch are fired together.
BatchHandler = Callable[[DeskContext, list[tuple[Timer, Any]]], None]

HANDLERS: dict[str, TimerHandler] = {}
BATCH_HANDLERS: dict[str, BatchHandler] = {}
LOADERS: dict[str, SubjectLoader] = {}
# Run when a desk starts (after migrations): processes seed their periodic jobs' timers.
ON_START: list[Callable[[DeskContext], None]] = []


def timer_handler(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register the function that fires timers of `kind` (one process owns each kind)."""

    def register(handler: TimerHandler) -> TimerHandler:
        if kind in HANDLERS and HANDLERS[kind] is not handler:
            raise ValueError(f"timer kind {kind!r} already has a handler")
        HANDLERS[kind] = handler
        return handler

    return register


def batch_handler(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register a function that fires all of a batch's timers of `kind` at once (ten
    thousand grants expiring in a day cost one directory change per group, not one each).
    A timer fired alone (a retry after a failed batch) goes through it as a batch of one."""

    def register(handler: BatchHandler) -> BatchHandler:
        BATCH_HANDLERS[kind] = handler
        timer_handler(kind)(lambda ctx, timer, subject: handler(ctx, [(timer, subject)]))
        return handler

    return register


def fire_batch(ctx: DeskContext, kind: str, due: list[tuple[Timer, Any]]) -> None:
    """Fire a batch's timers of one kind with a batch handler (their subjects loaded and
    locked, none busy or gone); then the caller marks them fired."""
    BATCH_HANDLERS[kind](ctx, due)


def register_loader(subject_type: str, loader: SubjectLoader) -> None:
    """Register how to load (and lock) the subjects of one type for their timers."""
    LOADERS[subject_type] = loader


def schedule(ctx: DeskContext, subject: Any, kind: str, due_at: datetime) -> None:
    """Write a pending timer of `kind` for the subject."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for timer kind {kind!r}")
    ctx.session.add(
        Timer(
            subject_type=subject.subject_type,
            subject_id=str(subject.id),
            kind=kind,
            due_at=due_at,
            state="pending",
        )
    )


def cancel(ctx: DeskContext, subject: Any, kinds: Iterable[str]) -> None:
    """Cancel the subject's pending timers of these kinds."""
    cancel_many(ctx, subject.subject_type, [subject.id], kinds)


def cancel_many(
    ctx: DeskContext, subject_type: str, ids: Iterable[Any], kinds: Iterable[str]
) -> None:
    """Cancel the pending timers of these kinds of many subjects of one type, in one go."""
    ctx.session.execute(
        update(Timer)
        .where(
            Timer.subject_type == subject_type,
            Timer.subject_id.in_([str(i) for i in ids]),
            Timer.state == "pending",
            Timer.kind.in_(list(kinds)),
        )
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    )


def claim_due(ctx: DeskContext, limit: int) -> list[Timer]:
    """Lock up to `limit` due timers, oldest first, skipping rows another worker holds."""
    return list(
        ctx.session.scalars(
            select(Timer)
            .where(Timer.state == "pending", Timer.due_at <= ctx.clock.now())
            .order_by(Timer.due_at, Timer.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def load_subjects(ctx: DeskContext, timers: Sequence[Timer]) -> dict[tuple[str, str], Any]:
    """The timers' subjects, one query per subject type; busy or missing ones are left out."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for timer in timers:
        wanted[timer.subject_type].append(timer.subject_id)
    found: dict[tuple[str, str], Any] = {}
    for subject_type, ids in wanted.items():
        loader = LOADERS.get(subject_type)
        if loader is None:
            continue
        for subject_id, subject in loader(ctx, ids).items():
            found[(subject_type, subject_id)] = subject
    return found


GONE = object()  # a loader's answer for a subject that no longer exists


def lock_subjects(ctx: DeskContext, model: Any, ids: list[str]) -> dict[str, Any]:
    """Load rows of `model` by integer id with SKIP LOCKED: a loader for most processes.

    Rows another transaction holds are left out (busy); ids with no row map to GONE.
    """
    numbers = sorted({int(i) for i in ids if i.isdigit()})
    query = select(model).where(model.id.in_(numbers)).with_for_update(skip_locked=True)
    rows: dict[str, Any] = {str(r.id): r for r in ctx.session.scalars(query)}
    missing = [n for n in numbers if str(n) not in rows]
    existing = (
        {str(n) for n in ctx.session.scalars(select(model.id).where(model.id.in_(missing)))}
        if missing
        else set()
    )
    rows.update({i: GONE for i in ids if i not in rows and i not in existing})
    return rows


class SubjectBusy(Exception):
    """The timer's subject is locked by a command right now: fire it on a later pass."""


def fire(ctx: DeskContext, timer: Timer, subject: Any) -> None:
    """Run the timer's handler, in the caller's transaction; then the caller marks it fired.

    A timer whose subject could not be loaded (locked by a command) raises SubjectBusy and
    stays pending; a kind nobody handles any more is marked failed. The caller marks the
    timers that fired with `mark_fired`, one statement for a whole batch.
    """
    handler = HANDLERS.get(timer.kind)
    if handler is None:
        timer.state = "failed"
        raise LookupError(f"no handler for timer kind {timer.kind!r}")
    if subject is None:
        raise SubjectBusy(f"{timer.subject_type} {timer.subject_id} is busy")
    if subject is GONE:
        timer.state = "failed"
        raise LookupError(f"{timer.subject_type} {timer.subject_id} no longer exists")
    handler(ctx, timer, subject)


def mark_fired(ctx: DeskContext, fired: Sequence[Timer]) -> None:
    """Record that these timers fired now (over a cancellation their own handler made)."""
    if not fired:
        return
    table = Timer.__table__
    ctx.session.execute(
        update(table)
        .where(table.c.id.in_([t.id for t in fired]))
        .values(state="fired", fired_at=ctx.clock.now())
    )
