"""The contrast panel: what happened on the other track in the 72 hours around an entry.

A quiet window lists every entry; a dense one (hundreds of strikes in three days at a
million entries) shows counts by kind, the totals, the few most significant entries (editors'
own before imported ones, then the most killed) and a link to the filtered timeline for the
rest. Either way the panel runs the same six queries and renders at most
CONTRAST_LIST_LIMIT cards a side.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from .models import Entry, Figure, Track, path_ancestor_ids

CONTRAST_WINDOW = dt.timedelta(hours=72)
# Up to this many entries a side are listed in time order; beyond it the side summarises.
CONTRAST_LIST_LIMIT = 20
# How many entries a summarised side still shows.
CONTRAST_TOP = 5
TOTAL_METRICS = ((Figure.Metric.KILLED, "killed"), (Figure.Metric.INJURED, "injured"))


def plural(count, singular, plural_form=None):
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def current_of(figures):
    """The latest standing figure per number (metric, scope, breakdown), as
    Entry.current_figures does for one entry's prefetched figures."""
    latest = {}
    for figure in sorted(figures, key=Figure.revision_order_key):
        if not figure.is_error:
            latest[figure.number_key] = figure
    return list(latest.values())


def counted_once(figures, metric, places):
    """Of one entry's current figures, those for `metric` that together count everyone once:
    a figure whose scope lies inside another's (a district inside its city) is left out."""
    current = [figure for figure in figures if figure.metric == metric and not figure.breakdown]
    scopes = {figure.scope_id for figure in current}
    return [figure for figure in current if not (places.ancestors(figure.scope_id) & scopes)]


def total_of(counted):
    """(qualifier, number) for figures counted once across entries, or None; worded by
    Figure.combined_qualifier."""
    if not counted:
        return None
    qualifier = Figure.combined_qualifier(figure.qualifier for figure in counted)
    return qualifier, sum(figure.best for figure in counted)


def headline_total(entries, metric, *, places):
    """One metric summed over several entries (with prefetched figures), without double
    counting: within an entry by Entry.figures_counted_once, across entries added up."""
    return total_of(
        [figure for entry in entries for figure in entry.figures_counted_once(metric, places)]
    )


def summary_text(count, kinds, totals, track):
    """“4 strikes, at least 7 killed, more than 13 injured”."""
    if track == Track.MILITARY:
        reports = kinds.get(Entry.Kind.INTERCEPTION_REPORT, 0)
        parts = []
        if count - reports or not reports:
            parts.append(plural(count - reports, "strike"))
        if reports:
            parts.append(plural(reports, "interception report"))
    else:
        parts = [plural(count, "diplomatic event")]
    for metric, label in TOTAL_METRICS:
        total = totals.get(metric)
        if total:
            qualifier, number = total
            parts.append(" ".join(filter(None, [qualifier, str(number), label])))
    return ", ".join(parts)


def contrast_summary(entries, track, *, places):
    """The summary line for a list of entries with prefetched figures."""
    kinds = defaultdict(int)
    for item in entries:
        kinds[item.kind] += 1
    totals = {metric: headline_total(entries, metric, places=places) for metric, _ in TOTAL_METRICS}
    return summary_text(len(entries), kinds, totals, track)


@dataclass(frozen=True)
class WindowFigure:
    """A figure as the window's totals read it: a row, not a model instance (a dense window
    holds thousands, and building three models for each cost more than the query)."""

    pk: int
    entry_id: int
    metric: str
    scope_id: int | None
    breakdown: str
    best: int
    qualifier: str
    as_of: dt.datetime
    marked_error_at: dt.datetime | None
    occurred_at: dt.datetime  # the entry's
    scope_path: str | None

    number_key = property(Figure.number_key.fget)
    is_error = property(Figure.is_error.fget)


class ScopeAncestry:
    """The ancestors of the figures' scopes, from the paths stored on them: what
    counted_once asks of a PlaceTree, without reading every place."""

    def __init__(self, figures):
        self.ancestry = {}
        for figure in figures:
            if figure.scope_id is not None and figure.scope_id not in self.ancestry:
                self.ancestry[figure.scope_id] = set(path_ancestor_ids(figure.scope_path))

    def ancestors(self, place_id):
        return self.ancestry.get(place_id, set())


def _window_totals(window, entry):
    """{"before"/"after": {metric: (qualifier, number)}} over every entry in the window: one
    query reading the figures for the headline metrics (with their scopes' paths, which
    say what lies inside what), counted once per entry."""
    rows = (
        Figure.objects.filter(
            entry__in=window.values("pk"),
            metric__in=[metric for metric, _ in TOTAL_METRICS],
        )
        .order_by()
        .values_list(
            "id",
            "entry_id",
            "metric",
            "scope_id",
            "breakdown",
            "best",
            "qualifier",
            "as_of",
            "marked_error_at",
            "entry__occurred_at",
            "scope__path",
        )
    )
    figures = [WindowFigure(*row) for row in rows]
    places = ScopeAncestry(figures)
    by_entry = defaultdict(list)
    sides = {}
    for figure in figures:
        by_entry[figure.entry_id].append(figure)
        sides[figure.entry_id] = "before" if figure.occurred_at < entry.occurred_at else "after"
    counted = {"before": defaultdict(list), "after": defaultdict(list)}
    for entry_id, group in by_entry.items():
        current = current_of(group)
        for metric, _ in TOTAL_METRICS:
            counted[sides[entry_id]][metric] += counted_once(current, metric, places)
    return {
        side: {metric: total_of(counted[side][metric]) for metric, _ in TOTAL_METRICS}
        for side in counted
    }


def _side(window, entry, side, count, kinds, totals, other):
    """One side of the panel: every entry in time order, or the few that matter most."""
    if side == "before":
        entries = window.filter(occurred_at__lt=entry.occurred_at)
    else:
        entries = window.filter(occurred_at__gte=entry.occurred_at)
    entries = entries.prefetch_related(
        Prefetch("figures", queryset=Figure.objects.select_related("scope", "source"))
    )
    dense = count > CONTRAST_LIST_LIMIT
    if dense:
        killed = (
            Figure.objects.counted()
            .filter(entry=OuterRef("pk"), metric=Figure.Metric.KILLED)
            .values("entry")
            .annotate(most=Max("best"))
            .values("most")
        )
        shown = list(
            entries.annotate(
                own=Case(
                    When(dataset__isnull=True, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
                killed=Coalesce(Subquery(killed), 0),
            ).order_by("own", "-killed", "-occurred_at", "-id")[:CONTRAST_TOP]
        )
        shown.sort(key=lambda item: (item.occurred_at, item.pk))
    else:
        shown = list(entries.order_by("occurred_at", "id")[:CONTRAST_LIST_LIMIT])
    return {
        "entries": shown,
        "count": count,
        "dense": dense,
        "summary": summary_text(count, kinds, totals, other),
        "kinds": [
            (Entry.Kind(kind).label if kind in Entry.Kind.values else kind, number)
            for kind, number in sorted(kinds.items(), key=lambda pair: (-pair[1], pair[0]))
        ],
    }


def timeline_link(track, start, end):
    """The timeline filtered to the other track over the window's days (Kyiv time)."""
    query = {
        "track": track,
        "from": timezone.localdate(start).isoformat(),
        "to": timezone.localdate(end).isoformat(),
    }
    return f"{reverse('timeline:index')}?{urlencode(query)}"


def contrast_panel(entry):
    """The other track's published entries from 72 hours before the entry starts to 72 hours
    after it ends; an entry that spans time (a weekend of talks) counts when any part of it
    falls in the window.

    Six queries whatever the window holds: counts by kind and side, the figures behind
    the totals (with their scopes' paths, which keep them from counting anyone twice), and
    each side's entries with their figures.
    """
    other = Track.MILITARY if entry.track == Track.DIPLOMACY else Track.DIPLOMACY
    start = entry.occurred_at - CONTRAST_WINDOW
    end = entry.time_span_end + CONTRAST_WINDOW
    # Started in the window, or started before it and still going on: two index ranges (an
    # OR over occurred_at and ended_at in one condition reads every older entry).
    # A UNION, not an OR: PostgreSQL turns the OR into a scan of every entry.
    started = (
        Entry.objects.published()
        .filter(track=other, occurred_at__gte=start, occurred_at__lte=end)
        .order_by()
    )
    going_on = Entry.objects.filter(ended_at__gte=start, occurred_at__lt=start).order_by()
    window = (
        Entry.objects.published()
        .filter(pk__in=started.values("pk").union(going_on.values("pk")))
        .filter(track=other)
    )
    kinds = {"before": {}, "after": {}}
    for row in (
        window.order_by()
        .values("kind")
        .annotate(
            before=Count("id", filter=Q(occurred_at__lt=entry.occurred_at)),
            after=Count("id", filter=Q(occurred_at__gte=entry.occurred_at)),
        )
    ):
        for side in kinds:
            if row[side]:
                kinds[side][row["kind"]] = row[side]
    totals = _window_totals(window, entry)
    sides = {
        side: _side(
            window, entry, side, sum(kinds[side].values()), kinds[side], totals[side], other
        )
        for side in ("before", "after")
    }
    return {
        "track": other,
        "track_label": Track(other).label,
        "before": sides["before"]["entries"],
        "after": sides["after"]["entries"],
        "before_side": sides["before"],
        "after_side": sides["after"],
        "before_summary": sides["before"]["summary"],
        "after_summary": sides["after"]["summary"],
        "timeline_url": timeline_link(other, start, end),
        "has_totals": any(totals[side][metric] for side in totals for metric, _ in TOTAL_METRICS),
    }
