"""Operations with side effects, called alike by the admin, the API and commands."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .history import save_group
from .models import (
    Actor,
    Claim,
    Entry,
    EntryActor,
    Figure,
    Place,
    PlaceAlias,
    alias_lines,
    name_key,
    validate_publishable,
)

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


# --- Merging strays -------------------------------------------------------------------------
# An import creates the places and actors it cannot match ("Kyiv City" before Kyiv had that
# alias). Merging moves everything of the strays onto the place or actor to keep, keeps each
# stray's names as aliases so the next import matches them, and deletes the stray; every
# moved row is recorded in the history with the merge as the reason.


def _merge_reason(kind, stray, keep):
    return f"Merged {kind} “{stray.name}” into “{keep.name}”"[:100]


def _move_figures(figures, field, keep, *, user, reason, group):
    """Figures are immutable as reports; which place or actor they name is not the report."""
    figures = list(figures)
    for figure in figures:
        setattr(figure, field, keep)
    if figures:
        bulk_update_with_history(
            figures,
            Figure,
            [field],
            default_user=user,
            default_change_reason=reason,
            custom_historical_attrs={"save_group": group},
        )


def _stamp(instance, *, user, reason):
    instance._history_user = user
    instance._change_reason = reason
    return instance


@transaction.atomic
def place_merge(*, keep, merge, user):
    """Merge the places in `merge` into `keep`: entries, figures, child places and names move;
    the strays are deleted. Returns the number of places merged."""
    strays = [place for place in merge if place.pk != keep.pk]
    with save_group() as group:
        for stray in strays:
            if stray.pk in keep.ancestor_ids:
                raise ValidationError(f"{keep.name} lies within {stray.name}; merge the other way.")
            reason = _merge_reason("place", stray, keep)
            for entry in Entry.objects.filter(places=stray):
                entry.places.add(keep)
                entry.places.remove(stray)
            _move_figures(
                Figure.objects.filter(scope=stray),
                "scope",
                keep,
                user=user,
                reason=reason,
                group=group,
            )
            for child in Place.objects.filter(parent=stray):
                child.parent = keep
                _stamp(child, user=user, reason=reason).save()
            keys = {keep.name_key, *keep.aliases.values_list("name_key", flat=True)}
            for name in [stray.name, *stray.aliases.values_list("name", flat=True)]:
                if name_key(name) not in keys:
                    keys.add(name_key(name))
                    PlaceAlias.objects.create(place=keep, name=name)
            _stamp(stray, user=user, reason=reason).delete()
    return len(strays)


@transaction.atomic
def actor_merge(*, keep, merge, user):
    """Merge the actors in `merge` into `keep`: roles in entries, claims, figures, child
    actors and names move; the strays are deleted. Returns the number of actors merged."""
    strays = [actor for actor in merge if actor.pk != keep.pk]
    with save_group() as group:
        for stray in strays:
            reason = _merge_reason("actor", stray, keep)
            for role in EntryActor.objects.filter(actor=stray):
                if EntryActor.objects.filter(
                    entry=role.entry_id, actor=keep, role=role.role
                ).exists():
                    _stamp(role, user=user, reason=reason).delete()
                else:
                    role.actor = keep
                    _stamp(role, user=user, reason=reason).save()
            for claim in Claim.objects.filter(claimant=stray):
                claim.claimant = keep
                _stamp(claim, user=user, reason=reason).save()
            _move_figures(
                Figure.objects.filter(reported_by=stray),
                "reported_by",
                keep,
                user=user,
                reason=reason,
                group=group,
            )
            for child in Actor.objects.filter(parent=stray):
                child.parent = keep
                _stamp(child, user=user, reason=reason).save()
            names = alias_lines(keep.aliases)
            keys = {name_key(keep.name), *map(name_key, names)}
            for name in [stray.name, *alias_lines(stray.aliases)]:
                if name_key(name) not in keys:
                    keys.add(name_key(name))
                    names.append(name)
            keep.aliases = "\n".join(names)
            _stamp(keep, user=user, reason=reason).save()
            _stamp(stray, user=user, reason=reason).delete()
    return len(strays)


def database_statistics_refresh():
    """Refresh the query planner's statistics after a bulk write (generate, import).

    Without them SQLite guesses, and for "entries with a claim graded so" or "inside a
    region" may pick an index that reads every row. PostgreSQL's autovacuum analyses on its
    own in time; ANALYZE makes the plans right at once.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
