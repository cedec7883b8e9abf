"""The chain's head posted to the security channel once a day: an anchor outside the
database, so `deskbot audit verify --expect-head SEQ:MAC` catches a deleted tail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain import notifications, timers
from domain.audit.chain import HEAD, HEAD_ID
from domain.audit.records import AuditHead
from domain.context import DeskContext
from domain.records import Timer

KIND = "audit_head"  # the timer's kind and the notification's
EVERY = timedelta(days=1)
KINDS: dict[str, tuple[notifications.Offer, ...]] = {KIND: ()}


def channel(ctx: DeskContext) -> str:
    """Where the head goes: the security channel, or the triage channel without one."""
    return ctx.policy.security_channel or ctx.policy.triage_channel


def _head_row(ctx: DeskContext) -> AuditHead | None:
    return ctx.session.get(AuditHead, HEAD_ID)


def schedule_first_post(ctx: DeskContext) -> None:
    """Called when the head row is made (the first record): the first post a day later."""
    head = _head_row(ctx)
    if head is not None:
        timers.schedule(ctx, head, KIND, ctx.clock.now() + EVERY)


def ensure_daily_post(ctx: DeskContext) -> bool:
    """Schedule the daily post if the chain has records and no post is pending (a timer
    lost or failed): the runtime calls this when a process starts. True if it scheduled."""
    head = _head_row(ctx)
    if head is None:
        return False
    pending = ctx.session.scalar(
        select(Timer.id)
        .where(
            Timer.subject_type == AuditHead.subject_type,
            Timer.subject_id == str(HEAD_ID),
            Timer.kind == KIND,
            Timer.state == "pending",
        )
        .limit(1)
    )
    if pending is not None:
        return False
    timers.schedule(ctx, head, KIND, ctx.clock.now() + EVERY)
    return True


@timers.timer_handler(KIND)
def post_head(ctx: DeskContext, timer: Timer, head: AuditHead) -> None:
    """Post the head as it is now, and the next post a day later."""
    row = ctx.session.execute(select(HEAD.c.seq, HEAD.c.mac).where(HEAD.c.id == HEAD_ID)).one()
    notifications.notify_channel(ctx, channel(ctx), KIND, seq=row.seq, mac=row.mac)
    timers.schedule(ctx, head, KIND, ctx.clock.now() + EVERY)


timers.register_loader(
    AuditHead.subject_type, lambda ctx, ids: timers.lock_subjects(ctx, AuditHead, ids)
)
notifications.register_kinds("audit", KINDS)
