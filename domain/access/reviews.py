"""Access reviews: a resource's owners keep or revoke each current grant; they are
reminded daily until every grant has an answer, and the security channel hears the
outcome. Nobody reviews their own access."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain import audit, timers
from domain.access.lifecycle import find_resource, get_grant
from domain.access.records import AccessGrant, AccessReview, AccessReviewItem
from domain.access.states import ACCESS, HELD
from domain.access.steps import colon, record_event
from domain.context import Actor, DeskContext
from domain.errors import InvalidTransition, PermissionDenied
from domain.notifications import notify_channel, notify_person
from domain.text import check_text

REMIND_EVERY = timedelta(days=1)


def start_review(ctx: DeskContext, actor: Actor, resource_name: str) -> AccessReview:
    """Ask the resource's owners to keep or revoke each grant held now."""
    resource = find_resource(ctx, resource_name)
    if actor.name not in resource.owners and not actor.is_admin:
        raise PermissionDenied(
            f"Only the owners of {resource.name} ({', '.join(resource.owners)}) or an admin "
            "can start its access review."
        )
    already = open_review(ctx, resource.name)
    if already is not None:
        raise InvalidTransition(
            f"An access review of {resource.name} is already open (started "
            f"{already.started_at:%Y-%m-%d} by {already.started_by}); "
            f"{len(waiting_items(ctx, already))} grants still wait for an answer."
        )
    now = ctx.clock.now()
    review = AccessReview(
        resource=resource.name, state="open", started_by=actor.name, started_at=now
    )
    ctx.session.add(review)
    ctx.session.flush()
    grants = _held(ctx, resource.name)
    for grant in grants:
        ctx.session.add(AccessReviewItem(review_id=review.id, grant_id=grant.id))
    audit.record(
        ctx, actor.name, "access.review_started", review.key, {"grants": [g.key for g in grants]}
    )
    if not grants:
        _complete(ctx, review)
        return review
    ctx.session.flush()
    for grant in grants:
        for owner in _reviewers(resource.owners, grant):
            notify_person(ctx, owner, "access_review_item", subject=grant, review=review.id)
    timers.schedule(ctx, review, "access_review_reminder", now + REMIND_EVERY)
    return review


def keep_access(ctx: DeskContext, actor: Actor, key: str, note: str = "") -> AccessGrant:
    """An owner says a grant under review stays."""
    note = check_text(note, "The note").strip()
    grant = get_grant(ctx, key, for_update=True)
    ACCESS.require_state("keep", grant.state, grant.key)
    item, review = _item_of(ctx, grant)
    if item is None or review is None:
        raise InvalidTransition(f"{grant.key} is not in an open access review: nothing to keep.")
    _check_reviewer(ctx, actor, grant)
    if item.decision is not None:
        raise InvalidTransition(
            f"{grant.key} was already reviewed: {item.decision} by {item.decided_by}."
        )
    _decide(ctx, review, item, actor, "keep")
    record_event(
        ctx, grant, actor, "kept", f"Kept in the access review by {actor.name}{colon(note)}"
    )
    audit.record(
        ctx, actor.name, "access.review_keep", grant.key, {"review": review.id, "note": note}
    )
    return grant


def note_revoked(ctx: DeskContext, actor: Actor, grant: AccessGrant) -> None:
    """A grant under review was revoked (by anyone): that is its answer."""
    item, review = _item_of(ctx, grant)
    if item is not None and review is not None and item.decision is None:
        _decide(ctx, review, item, actor, "revoke")


def remind(ctx: DeskContext, review: AccessReview) -> None:
    """Tell each owner how many grants still wait for their answer, and remind again later."""
    if review.state != "open":
        return
    waiting = waiting_items(ctx, review)
    if not waiting:
        _complete(ctx, review)
        return
    resource = ctx.policy.access.resources.get(review.resource)
    owners = resource.owners if resource else ()
    for owner in owners:
        keys = [g.key for g in waiting if g.person != owner]
        if keys:
            notify_person(
                ctx,
                owner,
                "access_review_reminder",
                resource=review.resource,
                grants=keys,
                started_at=review.started_at.strftime("%Y-%m-%d"),
            )
    timers.schedule(ctx, review, "access_review_reminder", ctx.clock.now() + REMIND_EVERY)


def waiting_items(ctx: DeskContext, review: AccessReview) -> list[AccessGrant]:
    """The grants of a review nobody has answered for, which are still held."""
    return list(
        ctx.session.scalars(
            select(AccessGrant)
            .join(AccessReviewItem, AccessReviewItem.grant_id == AccessGrant.id)
            .where(
                AccessReviewItem.review_id == review.id,
                AccessReviewItem.decision.is_(None),
                AccessGrant.state.in_(HELD),
            )
            .order_by(AccessGrant.id)
        )
    )


def _decide(
    ctx: DeskContext, review: AccessReview, item: AccessReviewItem, actor: Actor, decision: str
) -> None:
    item.decision, item.decided_by, item.decided_at = decision, actor.name, ctx.clock.now()
    ctx.session.flush()
    if not waiting_items(ctx, review):
        _complete(ctx, review)


def _complete(ctx: DeskContext, review: AccessReview) -> None:
    review.state, review.done_at = "done", ctx.clock.now()
    timers.cancel(ctx, review, ("access_review_reminder",))
    rows = ctx.session.execute(
        select(AccessReviewItem.decision, AccessGrant.id)
        .join(AccessGrant, AccessReviewItem.grant_id == AccessGrant.id)
        .where(AccessReviewItem.review_id == review.id)
    ).all()
    kept = sorted(f"ACC-{i}" for d, i in rows if d == "keep")
    revoked = sorted(f"ACC-{i}" for d, i in rows if d == "revoke")
    ended = sorted(f"ACC-{i}" for d, i in rows if d is None)
    audit.record(
        ctx,
        "deskbot",
        "access.review_done",
        review.key,
        {"kept": kept, "revoked": revoked, "ended_meanwhile": ended},
    )
    channel = ctx.policy.security_channel
    if channel and rows:  # a review of nobody's access is audited, not announced
        notify_channel(
            ctx,
            channel,
            "access_report",
            title=f"Access review of {review.resource} is complete",
            lines=[
                f"Started {review.started_at:%Y-%m-%d} by {review.started_by}",
                f"Kept: {', '.join(kept) or 'none'}",
                f"Revoked: {', '.join(revoked) or 'none'}",
                *([f"Ended meanwhile: {', '.join(ended)}"] if ended else []),
            ],
        )


def _item_of(
    ctx: DeskContext, grant: AccessGrant
) -> tuple[AccessReviewItem | None, AccessReview | None]:
    row = ctx.session.execute(
        select(AccessReviewItem, AccessReview)
        .join(AccessReview, AccessReviewItem.review_id == AccessReview.id)
        .where(AccessReviewItem.grant_id == grant.id, AccessReview.state == "open")
        .with_for_update(of=AccessReview)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def _check_reviewer(ctx: DeskContext, actor: Actor, grant: AccessGrant) -> None:
    resource = ctx.policy.access.resources.get(grant.resource)
    owners = resource.owners if resource else ()
    if actor.name == grant.person:
        raise PermissionDenied(f"You cannot keep {grant.key}: nobody reviews their own access.")
    if actor.name not in owners:
        raise PermissionDenied(
            f"Only the owners of {grant.resource} ({', '.join(owners)}) review its access."
        )


def _reviewers(owners: tuple[str, ...], grant: AccessGrant) -> list[str]:
    return [o for o in owners if o != grant.person]


def open_review(ctx: DeskContext, resource: str) -> AccessReview | None:
    """The resource's open review, if any."""
    return ctx.session.scalar(
        select(AccessReview).where(AccessReview.resource == resource, AccessReview.state == "open")
    )


def _held(ctx: DeskContext, resource: str) -> list[AccessGrant]:
    return list(
        ctx.session.scalars(
            select(AccessGrant)
            .where(AccessGrant.resource == resource, AccessGrant.state.in_(HELD))
            .order_by(AccessGrant.id)
        )
    )
