"""The pictures' queries: what each chart or map needs, read through the public querysets.

Views call these; the geometry is timeline/charts.py. Every function starts from
Entry.objects.published() (or the roll-up of published entries), so no picture can show an
unpublished entry.
"""

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from . import charts
from .models import (
    DayCount,
    Entry,
    Figure,
    FilterDayCount,
    HeldByRollUp,
    Place,
    PlaceTree,
    Track,
)
from .rollup import day_start, entries_on_days, refresh_stale_days
from .search import within_window

MODES = ("events", "killed")


def chart_mode(request):
    return "killed" if request.GET.get("chart") == "killed" else "events"


def _local_day(moment):
    return timezone.localdate(moment) if moment else None


def pulse(
    request,
    entries,
    *,
    rollup=None,
    track="",
    start=None,
    end=None,
    link_params=None,
    within=None,
):
    """The pulse chart for `entries` (a published queryset, filters applied).

    `rollup`: the roll-up rows that count exactly these entries (rollup_for), so the chart
    reads a few rows a day whatever their number; None: one GROUP BY over the filtered
    entries in the chart's range. A filter's roll-up holds no killed figures, so the
    "killed" mode counts those live. `link_params` are the filters each bar's link keeps.
    `within`: a place page's place, whose "people killed" bars count only figures at it
    (Kyiv's own number, not the nationwide total its entry also reports).
    """
    mode = chart_mode(request)
    if rollup is not None and mode == "killed" and rollup.model is not DayCount:
        rollup = None
    if rollup is not None:
        refresh_stale_days()
        newest = rollup.newest_day(track=track)
    else:
        newest = _local_day(
            entries.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
        )
    if end is None and newest is not None and start is not None:
        end = max(newest, start)
    span = charts.chart_range(newest=newest, start=start, end=end)
    if span is None:
        return None
    first, last = span
    t0, t1 = day_start(first), day_start(last + dt.timedelta(days=1))
    # An explicit range is drawn whole, so its unit is known now and a long range's roll-up
    # rows are summed per week or month by the database (a few hundred rows, not 20,000).
    unit = charts.choose_unit(first, last) if start is not None else "day"
    if rollup is not None:
        counts = rollup.daily(first, last, track=track, unit=unit)
    else:
        killed = (
            entries.killed_by_day(t0, t1, PlaceTree(), within=within) if mode == "killed" else {}
        )
        counts = charts.merge_counts(entries.daily_counts(t0, t1), killed)
    if start is None:
        first, last = charts.trim_leading_empty(first, last, {key[0] for key in counts})
        t0 = day_start(first)
    if unit == "day":
        unit = charts.choose_unit(first, last)
    bucket_list = charts.aggregate(counts, first, last, unit, mode=mode)
    # The diplomacy entries to mark: a filter's from the ids its roll-up holds for these
    # days, a common word's search from one read of the index over the window's ids, rather
    # than a probe for each of the window's diplomacy entries until enough match.
    in_chart = entries.filter(track=Track.DIPLOMACY, occurred_at__gte=t0, occurred_at__lt=t1)
    in_chart = within_window(in_chart, t0, t1, newest_first=True)
    if track and track != Track.DIPLOMACY:
        in_chart = in_chart.none()
    elif rollup is not None and rollup.model is FilterDayCount:
        rows = rollup.filter(day__gte=first, day__lte=last, track=Track.DIPLOMACY)
        in_chart = Entry.objects.published().filter(
            HeldByRollUp(rows), occurred_at__gte=t0, occurred_at__lt=t1
        )
    diplomacy = list(
        in_chart.prefetch_related(None)
        .select_related(None)
        .order_by("-occurred_at", "-id")
        .only("title", "slug", "kind", "occurred_at", "ended_at", "precision")[
            : charts.MAX_LABELLED_MARKERS + 1
        ]
    )
    markers = []
    if len(diplomacy) <= charts.MAX_LABELLED_MARKERS:
        markers = [
            {
                "title": entry.title,
                "href": entry.get_absolute_url(),
                "start": entry.occurred_at,
                "end": entry.time_span_end if entry.ended_at else entry.occurred_at,
                "kind": entry.kind,
                "kind_label": entry.get_kind_display(),
            }
            for entry in reversed(diplomacy)
        ]
    params = {key: value for key, value in (link_params or {}).items() if value}
    index = reverse("timeline:index")

    def href(bucket_first, bucket_last):
        query = {**params, "from": bucket_first.isoformat(), "to": bucket_last.isoformat()}
        return f"{index}?{urlencode(query)}"

    chart = charts.pulse_chart(bucket_list, unit=unit, mode=mode, markers=markers, href=href)
    here = request.GET.copy()
    for name in ("chart", "cursor"):
        here.pop(name, None)
    toggle = {}
    for value in MODES:
        query = here.copy()
        if value != "events":
            query["chart"] = value
        toggle[value] = f"?{query.urlencode()}#pulse" if query else "?#pulse"
    chart.update(toggle=toggle, explicit_range=start is not None or end is not None)
    return chart


def casualties(entries, place, *, pulse):
    """Killed and injured at `place` and the places inside it, on the pulse chart's days and
    buckets (so the two charts share an axis): `entries` are the place's published entries;
    only figures whose scope lies at the place count. None without a pulse or a figure."""
    if pulse is None:
        return None
    first, last, unit = pulse["first"], pulse["last"], pulse["unit"]
    on_days = entries_on_days(("place", place), first, last)
    entries = entries if on_days is None else on_days
    totals = entries.figure_totals_by_day(
        day_start(first),
        day_start(last + dt.timedelta(days=1)),
        PlaceTree(Place.objects.within(place)),
        metrics=[Figure.Metric.KILLED, Figure.Metric.INJURED],
        within=place,
    )
    index = reverse("timeline:index")

    def href(bucket_first, bucket_last):
        query = {
            "place": place.slug,
            "from": bucket_first.isoformat(),
            "to": bucket_last.isoformat(),
        }
        return f"{index}?{urlencode(query)}"

    return charts.casualty_chart(
        charts.casualty_buckets(totals, first, last, unit),
        unit=unit,
        place_name=place.name,
        href=href,
    )


def timeline_link_params(form):
    """The timeline filters a bar's link keeps, as query-string values."""
    data = form.valid_data if form.is_bound else {}
    params = {}
    for name in ("q", "track", "assessment"):
        if data.get(name):
            params[name] = data[name]
    for name in ("actor", "place"):
        if data.get(name):
            params[name] = data[name].slug
    return params


def single_filter(form):
    """("place", place), ("actor", actor) or ("assessment", grade) when the timeline is
    filtered by exactly one of those and no search: the filters with roll-ups."""
    data = form.valid_data if form.is_bound else {}
    chosen = [name for name in FilterDayCount.TIMELINE_FILTERS if data.get(name)]
    if len(chosen) == 1 and not data.get("q"):
        return chosen[0], data[chosen[0]]
    return None


def rollup_for(form):
    """The roll-up rows that count the timeline's matches per day, when one exists: every
    published entry (at most a track and dates chosen: DayCount), or one place, actor or
    grade (FilterDayCount); None for a search or filters combined."""
    data = form.valid_data if form.is_bound else {}
    if not any(data.get(name) for name in ("q", *FilterDayCount.TIMELINE_FILTERS)):
        return DayCount.objects.all()
    chosen = single_filter(form)
    return FilterDayCount.objects.of(*chosen) if chosen else None


def claim_record_bar(record, actor):
    """The actor's claims by assessment as one bar, each part linking to the claim tracker."""
    claims = reverse("timeline:claim-list")

    def href(assessment):
        return f"{claims}?{urlencode({'claimant': actor.slug, 'assessment': assessment})}"

    return charts.claim_bar(record, href=href)
