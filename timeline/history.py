"""One history per entry: every historical row carries the save it belongs to.

An editor's one click on "Save" writes the entry, three claims and a figure: five historical
rows in five tables. They share a `save_group`, so the entry's history can show that click
as one row. The group is set for each request by the middleware and for each command or
service call by `save_group()`.
"""

import contextlib
import contextvars
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models

_current_group = contextvars.ContextVar("parallax_save_group", default=None)


class HistoricalSaveGroup(models.Model):
    """The abstract base of every historical model in Parallax."""

    save_group = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True


@contextlib.contextmanager
def save_group():
    """Everything recorded inside the block belongs to one save (reuses an enclosing one)."""
    if _current_group.get() is not None:
        yield _current_group.get()
        return
    token = _current_group.set(uuid.uuid4())
    try:
        yield _current_group.get()
    finally:
        _current_group.reset(token)


def stamp_save_group(sender, history_instance, **kwargs):
    """simple_history's pre_create_historical_record receiver."""
    history_instance.save_group = _current_group.get() or uuid.uuid4()


class SaveGroupMiddleware:
    """One save group per request: an admin save with its inlines is one history row."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with save_group():
            return self.get_response(request)


# --- Reading the history back ------------------------------------------------------------


@dataclass
class HistoryStep:
    """One thing a save did: “published”, “claim re-graded: unverified → disputed”."""

    what: str
    detail: str = ""
    public: bool = False  # a change readers see listed under "Updates"


@dataclass
class HistoryRow:
    """One save: when, who, why, and the steps it made across the entry, claims and figures."""

    at: datetime
    user: object
    reason: str
    steps: list = field(default_factory=list)
    entry_version_id: int | None = None

    @property
    def public_steps(self):
        return [step for step in self.steps if step.public]


AUTOMATIC_REASON = re.compile(
    r"^(Created|Saved|Changed .*|Deleted) (in the admin|through the API)$|^Status set to "
)
STATUS_STEPS = {"review": "sent to review", "published": "published"}


def reader_reason(reason):
    """The editor's own words for readers; the defaults the system writes say nothing."""
    reason = (reason or "").strip()
    return "" if AUTOMATIC_REASON.match(reason) else reason


def _entry_steps(record, previous):
    if record.history_type == "+":
        return [HistoryStep("created", f"as {record.get_status_display().lower()}")]
    if record.history_type == "-":
        return [HistoryStep("deleted")]
    steps = []
    if (record.history_change_reason or "").startswith("Reverted"):
        steps.append(HistoryStep("reverted", record.history_change_reason))
    if previous is not None and previous.status != record.status:
        if previous.status == "published":
            steps.append(HistoryStep("unpublished", f"now {record.get_status_display().lower()}"))
        else:
            steps.append(HistoryStep(STATUS_STEPS.get(record.status, "moved back to draft")))
    if previous is not None:
        changed = [
            name
            for name in ("title", "summary", "occurred_at", "precision", "ended_at", "time_note")
            if getattr(previous, name) != getattr(record, name)
        ]
        for name in changed:
            label = record._meta.get_field(name).verbose_name
            public = name in ("title", "summary") and previous.status == "published"
            steps.append(HistoryStep("edited", label, public=public))
        others = [
            name
            for name in ("kind", "track", "slug", "coordinate_precision")
            if getattr(previous, name) != getattr(record, name)
        ]
        if others:
            steps.append(HistoryStep("edited", ", ".join(others)))
    return steps or [HistoryStep("saved")]


def _claim_label(record):
    text = record.quote or record.paraphrase or ""
    return text if len(text) <= 70 else text[:67] + "…"


def _claim_steps(record, previous, *, public):
    label = _claim_label(record)
    if record.history_type == "+":
        return [HistoryStep("claim added", label)]
    if record.history_type == "-":
        return [HistoryStep("claim removed", label)]
    if previous is not None and previous.assessment != record.assessment:
        detail = (
            f"{label}: {previous.get_assessment_display().lower()} → "
            f"{record.get_assessment_display().lower()}"
        )
        return [HistoryStep("claim re-graded", detail, public=public)]
    return [HistoryStep("claim edited", label)]


def _figure_display(record):
    from .models import Figure

    figure = Figure(
        metric=record.metric,
        low=record.low,
        best=record.best,
        high=record.high,
        qualifier=record.qualifier,
    )
    return figure.display


def _figure_steps(record, previous, earlier_of_same_number, *, public):
    shown = _figure_display(record)
    if record.history_type == "+":
        if earlier_of_same_number is not None:
            detail = f"{_figure_display(earlier_of_same_number)} → {shown}"
            return [HistoryStep("figure revised", detail, public=public)]
        return [HistoryStep("figure added", shown, public=public)]
    if record.history_type == "-":
        return [HistoryStep("figure removed", shown)]
    if previous is not None and previous.marked_error_at is None and record.marked_error_at:
        detail = f"{shown}: {record.error_reason}"
        return [HistoryStep("figure marked as an error", detail, public=public)]
    return [HistoryStep("figure note edited", shown)]


def entry_histories(entries):
    """Each entry's saves, newest first, with its claims' and figures' changes merged in.

    Three queries for any number of entries: {entry_id: [HistoryRow, ...]}.
    """
    from .models import Claim, Entry, Figure

    ids = [entry.pk for entry in entries]
    if not ids:
        return {}
    entry_records = list(
        Entry.history.filter(id__in=ids).select_related("history_user").order_by("history_date")
    )
    claim_records = list(
        Claim.history.filter(entry_id__in=ids)
        .select_related("history_user")
        .order_by("history_date")
    )
    figure_records = list(
        Figure.history.filter(entry_id__in=ids)
        .select_related("history_user")
        .order_by("history_date")
    )

    first_published = {}
    for record in entry_records:
        if record.status == "published":
            first_published.setdefault(record.id, record.history_date)

    def after_publication(record, entry_id):
        published = first_published.get(entry_id)
        return published is not None and record.history_date > published

    rows = {}

    def row_for(entry_id, record):
        key = (entry_id, record.save_group or record.history_id, record._meta.model_name)
        group_key = (entry_id, record.save_group) if record.save_group else key
        row = rows.get(group_key)
        if row is None:
            row = rows[group_key] = HistoryRow(
                at=record.history_date,
                user=record.history_user,
                reason=record.history_change_reason or "",
            )
        row.at = max(row.at, record.history_date)
        if not row.reason and record.history_change_reason:
            row.reason = record.history_change_reason
        return row

    previous = {}
    for record in entry_records:
        row = row_for(record.id, record)
        row.steps.extend(_entry_steps(record, previous.get(record.id)))
        row.entry_version_id = record.history_id
        previous[record.id] = record

    previous = {}
    for record in claim_records:
        row = row_for(record.entry_id, record)
        public = after_publication(record, record.entry_id)
        row.steps.extend(_claim_steps(record, previous.get(record.id), public=public))
        previous[record.id] = record

    previous = {}
    latest_of_number = {}
    for record in figure_records:
        row = row_for(record.entry_id, record)
        number = (record.entry_id, record.metric, record.scope_id, record.breakdown)
        earlier = latest_of_number.get(number) if record.history_type == "+" else None
        public = after_publication(record, record.entry_id)
        row.steps.extend(_figure_steps(record, previous.get(record.id), earlier, public=public))
        previous[record.id] = record
        if record.history_type == "+":
            latest_of_number[number] = record

    by_entry = {entry_id: [] for entry_id in ids}
    for (entry_id, *_), row in rows.items():
        by_entry[entry_id].append(row)
    for history in by_entry.values():
        history.sort(key=lambda row: row.at, reverse=True)
    return by_entry


def public_updates(entries):
    """What readers are told changed after publication: {entry_id: [HistoryRow, ...]}."""
    return {
        entry_id: [row for row in history if row.public_steps]
        for entry_id, history in entry_histories(entries).items()
    }
