"""Template helpers for the public pages: times as precisely as they are known, figures as
readers say them, and JSON-LD that cannot break out of its <script> element."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.safestring import mark_safe

from timeline.history import reader_reason
from timeline.models import Figure, Place, Precision

register = template.Library()

# Parts of the day by the hour they start at (Kyiv time). An entry with part-of-day precision
# stores the first hour of its part, so 04:00 reads "before dawn".
PARTS_OF_DAY = [
    (0, "overnight"),
    (3, "before dawn"),
    (6, "morning"),
    (12, "afternoon"),
    (18, "evening"),
    (22, "late evening"),
]

# Broadest first: a nationwide figure before a city's, a city's before a district's.
PLACE_KIND_RANK = {
    Place.Kind.COUNTRY: 0,
    Place.Kind.REGION: 1,
    Place.Kind.SUBREGION: 2,
    Place.Kind.COMMUNITY: 3,
    Place.Kind.CITY: 4,
    Place.Kind.DISTRICT: 5,
    Place.Kind.SITE: 6,
}
METRIC_ORDER = {metric: index for index, metric in enumerate(Figure.Metric.values)}


def part_of_day(hour):
    label = PARTS_OF_DAY[0][1]
    for start, name in PARTS_OF_DAY:
        if hour >= start:
            label = name
    return label


def _day(value):
    return f"{value:%a} {value.day} {value:%b %Y}"


def _day_range(start, end):
    """“22–23 Nov 2025”, “30 Nov – 2 Dec 2025”, “30 Dec 2025 – 2 Jan 2026”."""
    if start.date() == end.date():
        return f"{start.day} {start:%b %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def format_when(start, precision, end=None):
    """A time only as precisely as it is known, in Kyiv time.

    exact: "04:10, Tue 25 Nov 2025"; part of day: "before dawn, Tue 25 Nov 2025";
    day: "Tue 25 Nov 2025"; several days with an end on a Saturday and Sunday:
    "weekend of 22–23 Nov 2025", otherwise "22–24 Nov 2025"; week: "week of 17 Nov 2025";
    month: "November 2025"; year: "2025". An end on a later day turns any of the first three
    into a range.
    """
    start = timezone.localtime(start)
    end = timezone.localtime(end) if end else None
    spans_days = end is not None and end.date() > start.date()
    if precision == Precision.YEAR:
        return f"{start:%Y}"
    if precision == Precision.MONTH:
        return f"{start:%B %Y}"
    if precision == Precision.WEEK:
        return f"week of {start.day} {start:%b %Y}"
    if precision == Precision.SEVERAL_DAYS:
        if not spans_days:
            return f"several days from {_day(start)}"
        if start.weekday() == 5 and end.weekday() == 6 and (end.date() - start.date()).days == 1:
            return f"weekend of {_day_range(start, end)}"
        return _day_range(start, end)
    if spans_days:
        return f"{_day(start)} – {_day(end)}"
    if precision == Precision.EXACT:
        if end and end > start:
            return f"{start:%H:%M}–{end:%H:%M}, {_day(start)}"
        return f"{start:%H:%M}, {_day(start)}"
    if precision == Precision.PART_OF_DAY:
        return f"{part_of_day(start.hour)}, {_day(start)}"
    return _day(start)


@register.filter
def when(entry):
    """An entry's time with its precision: {{ entry|when }}."""
    return format_when(entry.occurred_at, entry.precision, entry.ended_at)


@register.filter
def day_label(value):
    return _day(timezone.localtime(value)) if hasattr(value, "tzinfo") else _day(value)


def figure_sort_key(figure):
    return (
        PLACE_KIND_RANK.get(figure.scope.kind, 9),
        figure.scope.name,
        METRIC_ORDER.get(figure.metric, 99),
    )


@register.filter
def figure_lines(figures):
    """Figures grouped by what they count, broadest first: [("Kyiv", "at least 4 killed,
    more than 7 injured"), ...]. Works on already-fetched figures, without queries."""
    lines = []
    for figure in sorted(figures, key=figure_sort_key):
        key = (figure.scope_id, figure.scope_label)
        if lines and lines[-1][0] == key:
            lines[-1][2].append(figure.display)
        else:
            lines.append((key, figure.scope_name, [figure.display]))
    return [(name, ", ".join(parts)) for _, name, parts in lines]


@register.filter(name="reader_reason")
def reader_reason_filter(reason):
    return reader_reason(reason)


@register.filter
def standing_figure(history):
    """The latest report of a number that is not marked as an error, or None."""
    standing = [figure for figure in history if not figure.is_error]
    return standing[-1] if standing else None


@register.filter
def current_figure_lines(entry):
    return figure_lines(entry.current_figures())


@register.filter
def unique_assessments(claims):
    """The distinct assessments among an entry's claims, in the order they first appear."""
    seen = {}
    for claim in claims:
        seen.setdefault(claim.assessment, claim.get_assessment_display())
    return list(seen.items())


def json_for_script(data):
    """JSON safe to put inside <script>: <, > and & become \\u escapes, so no editor text
    can close the element (the same escaping as Django's json_script)."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")


@register.simple_tag
def jsonld(data):
    """A schema.org JSON-LD block: {% jsonld data %}."""
    # Safe by construction: json_for_script leaves no "<", ">" or "&" in the text.
    return mark_safe(  # noqa: S308
        f'<script type="application/ld+json">{json_for_script(data)}</script>'
    )


@register.filter
def count_text(value):
    """12 → “12”; a capped count → “more than 10,000” (timeline/counting.py)."""
    return getattr(value, "text", value)
