"""Operations with side effects, called alike by the admin, the API and commands."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Entry, Figure, validate_publishable

PUBLISH_PERMISSION = "timeline.publish_entry"


def user_can_publish(user):
    return bool(user and user.is_active and user.has_perm(PUBLISH_PERMISSION))


def check_status_change(*, user, old_status, new_status):
    """Publishing and unpublishing need the publish permission; other moves need none."""
    crosses_public_line = Entry.Status.PUBLISHED in (old_status, new_status) and (
        old_status != new_status
    )
    if crosses_public_line and not user_can_publish(user):
        raise PermissionDenied(
            "Only publishers can publish or unpublish an entry. Send it to review instead."
        )


@transaction.atomic
def entry_set_status(*, entry, status, user, reason=""):
    """Move an entry to `status`, enforcing who may publish and that it has a source."""
    if status not in Entry.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    check_status_change(user=user, old_status=entry.status, new_status=status)
    if status == entry.status:
        return entry
    validate_publishable(status=status, sources=entry.sources.all())
    entry.status = status
    entry._change_reason = reason or f"Status set to {entry.get_status_display().lower()}"
    entry._history_user = user
    entry.save(update_fields=["status", "updated_at"])
    return entry


def entry_publish(*, entry, user, reason=""):
    return entry_set_status(
        entry=entry, status=Entry.Status.PUBLISHED, user=user, reason=reason or "Published"
    )


def entry_unpublish(*, entry, user, reason=""):
    return entry_set_status(
        entry=entry, status=Entry.Status.DRAFT, user=user, reason=reason or "Unpublished"
    )


def entry_send_to_review(*, entry, user, reason=""):
    return entry_set_status(
        entry=entry, status=Entry.Status.REVIEW, user=user, reason=reason or "Sent to review"
    )


@transaction.atomic
def figure_record_revision(*, previous, user, reason="", **changes):
    """A new report of a number is a new Figure; the earlier one stays as its history."""
    fields = {
        "entry": previous.entry,
        "metric": previous.metric,
        "scope": previous.scope,
        "low": None,
        "best": previous.best,
        "high": None,
        "qualifier": previous.qualifier,
        "reported_by": previous.reported_by,
        "source": previous.source,
        "note": "",
        "as_of": timezone.now(),
    }
    fields.update(changes)
    figure = Figure(**fields)
    figure.full_clean()
    figure._change_reason = reason or f"Revision of “{previous.display}”"
    figure._history_user = user
    figure.save()
    return figure
