"""Pictures as geometry: aggregations in, numbers for hand-built SVG templates out.

Pure Python, no queries: the querysets (EntryQuerySet.daily_counts, DayCount.objects.daily,
EntryQuerySet.figure_totals_by_day, Figure histories) count, this module lays out, templates under
templates/timeline/includes/charts/ draw. Every mark gets an accessible name here, so the
chart and its table say the same thing.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateformat import format as date_format

from .models import Track
from .rollup import FigureTotal

DAY = dt.timedelta(days=1)
CONTRAST_WINDOW = dt.timedelta(hours=72)
# Longest range drawn a bar a day, then a bar a week; longer still, a bar a month. At most
# 62 bars in five years, so that the chart's markup stays small however dense the data.
MAX_DAYS_AS_DAYS = 62
MAX_DAYS_AS_WEEKS = 62 * 7
DEFAULT_DAYS = 60
MIN_DAYS = 10
MAX_LABELLED_MARKERS = 12

# Military kinds stacked in a few colour groups (more colours than this cannot be told apart).
KIND_GROUPS = [
    ("missile", "Missiles and shelling", {"missile_strike", "shelling_artillery_missile"}),
    ("drone", "Drones and air strikes", {"drone_strike", "air_or_drone_strike"}),
    ("combined", "Combined missile and drone", {"combined_strike"}),
    ("infrastructure", "Strikes on infrastructure", {"infrastructure_strike"}),
    ("crossborder", "Cross-border strikes", {"cross_border_strike"}),
    ("interception", "Interception reports", {"interception_report"}),
]
OTHER_GROUP = ("other", "Other military events")


def kind_group(kind):
    for key, _, kinds in KIND_GROUPS:
        if kind in kinds:
            return key
    return OTHER_GROUP[0]


GROUP_LABELS = {key: label for key, label, _ in KIND_GROUPS} | {OTHER_GROUP[0]: OTHER_GROUP[1]}
GROUP_ORDER = [key for key, _, _ in KIND_GROUPS] + [OTHER_GROUP[0]]


# --- Ranges and buckets ------------------------------------------------------------------


def choose_unit(first_day, last_day):
    days = (last_day - first_day).days + 1
    if days <= MAX_DAYS_AS_DAYS:
        return "day"
    if days <= MAX_DAYS_AS_WEEKS:
        return "week"
    return "month"


def bucket_start(day, unit):
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def bucket_end(start, unit):
    """The last day of the bucket that begins on `start`."""
    if unit == "week":
        return start + dt.timedelta(days=6)
    if unit == "month":
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - DAY
    return start


def chart_range(*, newest, start=None, end=None):
    """(first day, last day) the chart covers: the filters' dates when given, else the
    DEFAULT_DAYS up to the newest matching entry. None when there is nothing to draw."""
    if end is None:
        end = newest
    if end is None:
        return None
    if start is None:
        start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    return start, end


def trim_leading_empty(first, last, days_with_data):
    """Start a default-range chart a few days before its first event, MIN_DAYS at least."""
    if not days_with_data:
        return max(first, last - dt.timedelta(days=MIN_DAYS - 1)), last
    earliest = min(days_with_data) - dt.timedelta(days=2)
    return max(first, min(earliest, last - dt.timedelta(days=MIN_DAYS - 1))), last


def buckets(first, last, unit):
    """Every bucket from first to last, empty ones included."""
    out = []
    start = bucket_start(first, unit)
    while start <= last:
        end = bucket_end(start, unit)
        out.append((start, end))
        start = end + DAY
    return out


def bucket_label(start, end, unit, *, long=False):
    if unit == "day":
        return date_format(start, "D j M Y" if long else "j M")
    if unit == "week":
        return f"week of {date_format(start, 'j M Y' if long else 'j M')}"
    return date_format(start, "F Y" if long else "M Y")


# --- The pulse chart ---------------------------------------------------------------------


@dataclass
class Bucket:
    start: dt.date
    end: dt.date
    label: str
    long_label: str
    groups: dict = field(default_factory=dict)  # military group -> value
    diplomacy: int = 0
    group_values: list = field(default_factory=list)  # per kind group shown, for the table

    @property
    def total(self):
        return sum(self.groups.values())


def aggregate(counts, first, last, unit, *, mode="events"):
    """counts: {(day, track, kind): (entries, killed)} → [Bucket] from first to last.

    Military values are entries ("events") or killed; diplomacy is always entries."""
    out = [
        Bucket(s, e, bucket_label(s, e, unit), bucket_label(s, e, unit, long=True))
        for s, e in buckets(first, last, unit)
    ]
    index = {b.start: b for b in out}
    for (day, track, kind), (entries, killed) in counts.items():
        if day > last:
            continue
        # A day before `first` is out; a week's or month's start before it (counts summed
        # per bucket) is the first bucket's own.
        if day < first and bucket_start(day, unit) != day:
            continue
        bucket = index.get(bucket_start(day, unit))
        if bucket is None:
            continue
        if track == Track.MILITARY:
            value = killed if mode == "killed" else entries
            if value:
                group = kind_group(kind)
                bucket.groups[group] = bucket.groups.get(group, 0) + value
        elif entries:
            bucket.diplomacy += entries
    return out


def merge_counts(entries, killed=None):
    """{key: n} and {key: killed} (from the querysets) → {key: (n, killed)}."""
    killed = killed or {}
    keys = set(entries) | set(killed)
    return {key: (entries.get(key, 0), killed.get(key, 0)) for key in keys}


def nice_max(value):
    """A round axis top at or above value: 1, 2, 5, 10, 20, 50 ..."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


WIDTH, HEIGHT = 720, 230
LEFT, RIGHT = 44, 712
MARKER_Y = 30
DOT_RADIUS = 5
BAR_TOP, BAR_BOTTOM = 70, 196


def plural(n, word, many=None):
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def pulse_chart(bucket_list, *, unit, mode, markers=(), href=None):
    """Geometry for templates/timeline/includes/charts/pulse.html.

    `markers` are diplomacy entries to label (title, time, link), at most
    MAX_LABELLED_MARKERS; the others show as unlabelled markers counted per bucket.
    `href(start, end)` is the link to a bucket's entries.
    """
    if not bucket_list:
        return None
    first, last = bucket_list[0].start, bucket_list[-1].end
    t0 = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    t1 = timezone.make_aware(dt.datetime.combine(last + DAY, dt.time.min))
    span = (t1 - t0).total_seconds()
    slot = (RIGHT - LEFT) / len(bucket_list)

    def x_of(moment):
        seconds = min(max((moment - t0).total_seconds(), 0), span)
        return round(LEFT + (RIGHT - LEFT) * seconds / span, 1)

    top = nice_max(max((b.total for b in bucket_list), default=0))
    scale = (BAR_BOTTOM - BAR_TOP) / top
    what = "killed" if mode == "killed" else "military events"
    # The page's weight must not grow with the data: a day is one link (its name says what
    # happened), the stacked segments are one path per kind group and the diplomacy dots
    # one path, drawn beneath the links; the breakdown by kind is in the table.
    days, stacks, dots = [], {group: [] for group in GROUP_ORDER}, []
    width = round(max(slot * 0.8, 0.6), 1)
    for i, bucket in enumerate(bucket_list):
        if not (bucket.total or bucket.diplomacy):
            continue
        x = LEFT + i * slot
        bar_x = round(x + slot / 2, 1)  # the bars are strokes, as wide as `bar_width`
        y = BAR_BOTTOM
        for group in GROUP_ORDER:
            value = bucket.groups.get(group, 0)
            if not value:
                continue
            height = max(value * scale, 0.8)
            y -= height
            stacks[group].append(f"M{bar_x} {round(y, 1)}v{round(height, 1)}")
        said = []
        if bucket.total:
            said.append(
                f"{bucket.total:,} killed"
                if mode == "killed"
                else plural(bucket.total, "military event")
            )
        if bucket.diplomacy:
            said.append(plural(bucket.diplomacy, "diplomatic event"))
            cx = round(x + slot / 2, 1)
            dots.append(f"M{round(cx - DOT_RADIUS, 1)} {MARKER_Y}a5 5 0 1 0 10 0a5 5 0 1 0-10 0")
        days.append(
            {
                "x": round(x, 1),
                "width": round(slot, 1),
                "href": href(bucket.start, bucket.end) if href else None,
                "name": f"{bucket.long_label}: {' and '.join(said)}",
                "day": bucket.start.isoformat(),
            }
        )
    labelled = []
    for marker in list(markers)[:MAX_LABELLED_MARKERS]:
        start, end = marker["start"], marker["end"]
        labelled.append(
            {
                **marker,
                "x": x_of(start),
                "shade_x": x_of(start),
                "shade_width": round(x_of(end + CONTRAST_WINDOW) - x_of(start), 1),
                "name": f"{date_format(timezone.localtime(start), 'D j M Y')}: "
                f"{marker['title']} ({marker['kind_label'].lower()})",
            }
        )
    # One title per day on the chart (talks first, then agreements, proposals, statements),
    # alternating above and below the line so that neighbours do not overlap; every marker
    # keeps its accessible name.
    priority = {"talks": 0, "agreement": 1, "ceasefire": 1, "proposal": 2, "statement": 3}
    shown = {}
    for marker in labelled:
        day = timezone.localdate(marker["start"])
        best = shown.get(day)
        if best is None or priority.get(marker["kind"], 9) < priority.get(best["kind"], 9):
            shown[day] = marker
    # Two label rows; a title goes in the first row with room (about 200 units past the
    # last one there), or is left to its accessible name and the table.
    row_end = [-1e9, -1e9]
    for marker in sorted(shown.values(), key=lambda m: m["x"]):
        for row in (0, 1):
            if marker["x"] - row_end[row] >= 200:
                marker["show_label"] = True
                marker["label_y"] = MARKER_Y - 14 if row == 0 else MARKER_Y + 24
                marker["anchor"] = "end" if marker["x"] > RIGHT - 180 else "start"
                row_end[row] = marker["x"] + 180
                break
    step = max(1, math.ceil(len(bucket_list) / 8))
    ticks = [
        {"x": round(LEFT + (i + 0.5) * slot, 1), "label": b.label}
        for i, b in enumerate(bucket_list)
        if i % step == 0
    ]
    shown_groups = [g for g in GROUP_ORDER if any(b.groups.get(g) for b in bucket_list)]
    for bucket in bucket_list:
        bucket.group_values = [bucket.groups.get(g, 0) for g in shown_groups]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": RIGHT,
        "bar_top": BAR_TOP,
        "bar_bottom": BAR_BOTTOM,
        "marker_y": MARKER_Y,
        "top": top,
        "mid": top // 2 if top >= 2 else None,
        "mid_y": round(BAR_BOTTOM - (top // 2) * scale, 1) if top >= 2 else None,
        "days": days,
        "day_top": MARKER_Y - DOT_RADIUS - 2,
        "day_height": BAR_BOTTOM - MARKER_Y + DOT_RADIUS + 2,
        "stacks": [{"group": g, "d": "".join(stacks[g])} for g in GROUP_ORDER if stacks[g]],
        "bar_width": width,
        "dots": "".join(dots),
        "markers": labelled,
        "ticks": ticks,
        "unit": unit,
        "mode": mode,
        "what": what,
        "buckets": bucket_list,
        "groups": [{"key": g, "label": GROUP_LABELS[g]} for g in shown_groups],
        "first": first,
        "last": last,
        "military_total": sum(b.total for b in bucket_list),
        "diplomacy_total": sum(b.diplomacy for b in bucket_list),
    }


# --- Killed and injured at a place ------------------------------------------------------

CASUALTY_METRICS = (("killed", "Killed"), ("injured", "Injured"))
CASUALTY_HEIGHT = 200
CASUALTY_TOP, CASUALTY_BOTTOM = 16, 166


@dataclass
class CasualtyBucket:
    start: dt.date
    end: dt.date
    label: str
    long_label: str
    totals: dict = field(default_factory=dict)  # metric -> rollup.FigureTotal


def casualty_buckets(totals, first, last, unit):
    """{(day, track, kind, metric): FigureTotal} (EntryQuerySet.figure_totals_by_day) →
    [CasualtyBucket] from first to last, empty ones included."""
    out = [
        CasualtyBucket(s, e, bucket_label(s, e, unit), bucket_label(s, e, unit, long=True))
        for s, e in buckets(first, last, unit)
    ]
    index = {b.start: b for b in out}
    for (day, _track, _kind, metric), total in totals.items():
        bucket = index.get(bucket_start(day, unit))
        if bucket is None or day > last:
            continue
        bucket.totals.setdefault(metric, FigureTotal()).include(total)
    return out


def casualty_chart(bucket_list, *, unit, place_name, href=None):
    """Geometry for templates/timeline/includes/charts/casualties.html: killed and injured
    side by side per bucket, the reported low–high as a line over a bar where known.
    None when no bucket has a figure."""
    if not any(b.totals for b in bucket_list):
        return None
    slot = (RIGHT - LEFT) / len(bucket_list)
    top = nice_max(max(max(t.best, t.high) for b in bucket_list for t in b.totals.values()))
    scale = (CASUALTY_BOTTOM - CASUALTY_TOP) / top

    def y_of(value):
        return round(CASUALTY_BOTTOM - value * scale, 1)

    bars, rows = [], []
    overall = {metric: FigureTotal() for metric, _ in CASUALTY_METRICS}
    for i, bucket in enumerate(bucket_list):
        if not bucket.totals:
            continue
        x = LEFT + i * slot
        width = round(max(slot * 0.38, 0.6), 1)
        marks, parts = [], []
        for j, (metric, label) in enumerate(CASUALTY_METRICS):
            total = bucket.totals.get(metric)
            if total is None:
                continue
            overall[metric].include(total)
            parts.append(total.phrase(label.lower()))
            bar_x = round(x + slot * (0.1 + 0.42 * j), 1)
            y = y_of(total.best)
            marks.append(
                {
                    "metric": metric,
                    "x": bar_x,
                    "y": y,
                    "width": width,
                    "height": round(max(CASUALTY_BOTTOM - y, 0.8), 1),
                    "range": (
                        {
                            "x": round(bar_x + width / 2, 1),
                            "y1": y_of(total.low),
                            "y2": y_of(total.high),
                        }
                        if total.range_text
                        else None
                    ),
                }
            )
        name = f"{bucket.long_label} at {place_name}: {', '.join(parts)}"
        bars.append(
            {
                "marks": marks,
                "name": name,
                "href": href(bucket.start, bucket.end) if href else None,
                "day": bucket.start.isoformat(),
            }
        )
        cells = []
        for metric, _ in CASUALTY_METRICS:
            total = bucket.totals.get(metric)
            cells.append(
                "–"
                if total is None
                else f"{total.text} ({total.range_text})"
                if total.range_text
                else total.text
            )
        rows.append({"label": bucket.long_label, "cells": cells})
    step = max(1, math.ceil(len(bucket_list) / 8))
    ticks = [
        {"x": round(LEFT + (i + 0.5) * slot, 1), "label": b.label}
        for i, b in enumerate(bucket_list)
        if i % step == 0
    ]
    return {
        "width": WIDTH,
        "height": CASUALTY_HEIGHT,
        "left": LEFT,
        "right": RIGHT,
        "bar_top": CASUALTY_TOP,
        "bar_bottom": CASUALTY_BOTTOM,
        "top": top,
        "mid": top // 2 if top >= 2 else None,
        "mid_y": y_of(top // 2) if top >= 2 else None,
        "bars": bars,
        "rows": rows,
        "ticks": ticks,
        "unit": unit,
        "place_name": place_name,
        "first": bucket_list[0].start,
        "last": bucket_list[-1].end,
        "metrics": [
            {"key": metric, "label": label, "phrase": overall[metric].phrase(label.lower())}
            for metric, label in CASUALTY_METRICS
            if overall[metric].qualifiers
        ],
        "ranged": any(mark["range"] for bar in bars for mark in bar["marks"]),
    }


# --- Figure step charts --------------------------------------------------------------------


def step_chart(history, *, width=320, height=120):
    """A figure's standing reports as a step line over time, low-high as a band where known.

    `history` is one Figure group oldest first (Entry.figure_histories); errors are left out.
    None when fewer than two reports stand.
    """
    points = [f for f in history if not f.is_error]
    if len(points) < 2:
        return None
    left, right, top, bottom = 36, width - 10, 12, height - 24
    t0, t1 = points[0].as_of, points[-1].as_of
    span = max((t1 - t0).total_seconds(), 1)
    # The last report holds to the right edge: a tenth of the span past it.
    end_x = right
    usable = (right - left) * 0.88

    def x_of(moment):
        return round(left + usable * (moment - t0).total_seconds() / span, 1)

    ceiling = nice_max(max(max(f.best, f.high or 0) for f in points))

    def y_of(value):
        return round(bottom - (bottom - top) * value / ceiling, 1)

    line, band_top, band_bottom, dots = [], [], [], []
    for i, figure in enumerate(points):
        x = x_of(figure.as_of)
        next_x = x_of(points[i + 1].as_of) if i + 1 < len(points) else end_x
        y = y_of(figure.best)
        line.append(f"{'M' if i == 0 else 'L'}{x},{y} L{next_x},{y}")
        high = figure.high if figure.high is not None else figure.best
        low = figure.low if figure.low is not None else figure.best
        band_top += [f"{x},{y_of(high)}", f"{next_x},{y_of(high)}"]
        band_bottom += [f"{x},{y_of(low)}", f"{next_x},{y_of(low)}"]
        local = timezone.localtime(figure.as_of)
        dots.append(
            {
                "x": x,
                "y": y,
                "name": f"{date_format(local, 'j M Y, H:i')}: {figure.display_value}",
            }
        )
    has_band = any(f.low is not None or f.high is not None for f in points)
    first, last = timezone.localtime(t0), timezone.localtime(t1)
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "top": top,
        "bottom": bottom,
        "ceiling": ceiling,
        "path": " ".join(line),
        "band": " ".join(band_top + list(reversed(band_bottom))) if has_band else "",
        "dots": dots,
        "first_label": date_format(first, "j M H:i"),
        "last_label": date_format(last, "j M H:i"),
        "last_x": x_of(t1),
        "points": points,
    }


# --- The claim record bar ----------------------------------------------------------------


def claim_bar(record, *, href):
    """record: [(assessment, label, count)] → segments of one 100% bar, with links."""
    total = sum(count for _, _, count in record)
    if not total:
        return None
    x = 0.0
    segments = []
    for value, label, count in record:
        if not count:
            continue
        width = 100 * count / total
        segments.append(
            {
                "assessment": value,
                "label": label,
                "count": count,
                "x": round(x, 2),
                "width": round(width, 2),
                "percent": round(width),
                "href": href(value),
            }
        )
        x += width
    return {"total": total, "segments": segments}


# --- Map projection (the server-rendered fallback) ----------------------------------------

# The fallback map's window: Ukraine and its neighbours, and Geneva to the west.
MAP_BOUNDS = (5.0, 43.0, 41.5, 53.5)  # west, south, east, north


def project(lon, lat, *, width=720, bounds=MAP_BOUNDS):
    """Equirectangular, shrunk by cos(middle latitude) so shapes look right at this size."""
    west, south, east, north = bounds
    k = math.cos(math.radians((south + north) / 2))
    height = width * (north - south) / ((east - west) * k)
    return (
        round((lon - west) / (east - west) * width, 1),
        round((north - lat) / (north - south) * height, 1),
    )


def map_height(width=720, bounds=MAP_BOUNDS):
    west, south, east, north = bounds
    k = math.cos(math.radians((south + north) / 2))
    return round(width * (north - south) / ((east - west) * k), 1)


def ring_path(ring, *, width=720, bounds=MAP_BOUNDS):
    """One ring as SVG path data, dropping points within a pixel of the last one kept."""
    points = []
    for lon, lat in ring:
        x, y = project(lon, lat, width=width, bounds=bounds)
        if not points or abs(x - points[-1][0]) + abs(y - points[-1][1]) >= 1.2:
            points.append((round(x), round(y)))
    if len(points) < 3:
        return ""
    return "M" + "L".join(f"{x} {y}" for x, y in points) + "Z"


def geometry_path(geometry, *, width=720, bounds=MAP_BOUNDS):
    """A GeoJSON Polygon or MultiPolygon as one SVG path, or '' when outside the window."""
    west, south, east, north = bounds
    polygons = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else []
    )
    parts = []
    for polygon in polygons:
        outer = polygon[0]
        lons = [p[0] for p in outer]
        lats = [p[1] for p in outer]
        if max(lons) < west or min(lons) > east or max(lats) < south or min(lats) > north:
            continue
        parts.extend(ring_path(ring, width=width, bounds=bounds) for ring in polygon)
    return "".join(parts)


def grid_cell_size(zoom):
    """Degrees per grid cell at a Leaflet zoom: about 60 px on screen."""
    zoom = max(0, min(int(zoom), 18))
    return 360 / (2**zoom) / 256 * 60
