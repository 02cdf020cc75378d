"""Operations with side effects, called alike by the admin, the API and commands."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .history import save_group
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


def stored_status(entry, *, lock=False):
    """The status as the database holds it now: never the one a form or old version carries."""
    if entry.pk is None:
        return Entry.Status.DRAFT
    rows = Entry.objects.select_for_update() if lock else Entry.objects.all()
    return rows.filter(pk=entry.pk).values_list("status", flat=True).first() or Entry.Status.DRAFT


@transaction.atomic
def entry_set_status(*, entry, status, user, reason="", by_operator=False):
    """Move an entry to `status`, the one way any status changes.

    The permission is checked against the row as stored, locked for the transaction, so
    neither a form built from an old version (History → Revert) nor a stale API body can
    publish or unpublish for someone without the publish permission. `by_operator` is for
    commands run on the server (an import), whose operator holds the database anyway.
    """
    if status not in Entry.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    current = stored_status(entry, lock=True)
    if not by_operator:
        check_status_change(user=user, old_status=current, new_status=status)
    entry.status = current
    if status == current:
        return entry
    validate_publishable(status=status, sources=entry.sources.all())
    entry.status = status
    entry._change_reason = reason or f"Status set to {entry.get_status_display().lower()}"
    entry._history_user = user
    with save_group():
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


REVISION_CARRIED_OVER = (
    "entry",
    "metric",
    "scope",
    "scope_label",
    "breakdown",
    "reported_by",
    "source",
)


@transaction.atomic
def figure_record_revision(*, previous, user, reason="", **changes):
    """A new report of a number is a new Figure; the earlier one stays as its history."""
    fields = {name: getattr(previous, name) for name in REVISION_CARRIED_OVER}
    fields.update(
        {
            "low": None,
            "best": previous.best,
            "high": None,
            "qualifier": previous.qualifier,
            "note": "",
            "as_of": timezone.now(),
        }
    )
    fields.update(changes)
    figure = Figure(**fields)
    figure.full_clean()
    figure._change_reason = reason or f"Revision of “{previous.display}”"
    figure._history_user = user
    with save_group():
        figure.save()
    return figure


FIGURE_ERROR_PERMISSION_MESSAGE = "Only publishers can mark a reported figure as an error."


@transaction.atomic
def figure_mark_error(*, figure, user, reason):
    """A publisher marks a report as recorded in error: it stays on the page, struck through
    with the reason, and stops counting. The number itself is never edited or deleted."""
    if not user_can_publish(user):
        raise PermissionDenied(FIGURE_ERROR_PERMISSION_MESSAGE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"error_reason": "Say why the figure is wrong: readers see it."})
    figure = Figure.objects.select_for_update().get(pk=figure.pk)
    if figure.is_error:
        raise ValidationError({"error_reason": "This figure is already marked as an error."})
    figure.marked_error_at = timezone.now()
    figure.marked_error_by = user
    figure.error_reason = reason[:300]
    figure._change_reason = f"Marked as an error: {reason}"[:100]
    figure._history_user = user
    with save_group():
        figure.save(update_fields=["marked_error_at", "marked_error_by", "error_reason"])
    return figure
