"""/map/ and its aggregate endpoint: where things happened, with the timeline's filters.

The page draws the same boundaries and grid-aggregated points twice: as a server-rendered
SVG (what readers without JavaScript see, and what prints) and, with JavaScript, as a Leaflet
map (map.js) that asks /api/v1/map/points/ for the cells in view at each zoom. Neither ever
reads one row per entry. Without dates in the filters the map shows the latest
DEFAULT_DAYS, as the pulse chart does, so its cost follows the days shown, not the table.
"""

import datetime as dt
import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from . import charts, pictures
from .counting import capped_count
from .filters import EntryFilterSet
from .models import DayCount, Entry, Place, Track
from .pickers import ambiguous_links
from .rollup import day_start, entries_on_days, refresh_stale_days

BOUNDARIES = Path(__file__).parent / "static" / "timeline" / "vendor" / "boundaries"
DEFAULT_DAYS = charts.DEFAULT_DAYS
SVG_WIDTH = 720
FALLBACK_CELL = 0.5  # degrees: about 40 km, the fallback map's grid


@lru_cache(maxsize=1)
def base_map():
    """Country and oblast outlines as SVG paths in the fallback's window, read once."""
    paths = {}
    for name, filename in (("land", "countries.geojson"), ("oblast", "ukraine-oblasts.geojson")):
        features = json.loads((BOUNDARIES / filename).read_text())["features"]
        paths[name] = [
            {"d": d, "name": feature["properties"].get("name", "")}
            for feature in features
            if (d := charts.geometry_path(feature["geometry"], width=SVG_WIDTH))
        ]
    return paths


def filtered_entries(form):
    entries = Entry.objects.published()
    return form.filter(entries) if form.is_bound else entries


# Without dates, the map shows the latest DEFAULT_DAYS, or fewer days when they hold more
# entries than this: a dense timeline then draws its latest days, and a map costs the same
# at a million entries as at ten thousand.
MAP_ENTRY_LIMIT = 2_000


def map_window(form, entries):
    """(first day, last day, shortened): the filters' dates, else the latest DEFAULT_DAYS,
    shortened (True) to the days of the latest MAP_ENTRY_LIMIT of `entries`: counted from
    the roll-up when the filters have one (a few rows a day), else by reading the entries."""
    data = form.valid_data if form.is_bound else {}
    start, end = data.get("from"), data.get("to")
    if start and end:
        return start, end, False
    if end is None:
        refresh_stale_days()
        newest = DayCount.objects.newest_day(track=data.get("track", ""))
        end = newest or timezone.localdate()
        if start:
            end = max(end, start)
    if start:
        return start, end, False
    start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    rollup = pictures.rollup_for(form)
    if rollup is not None:
        refresh_stale_days()
        per_day = defaultdict(int)
        for (day, _, _), (entries_that_day, _) in rollup.daily(
            start, end, track=data.get("track", "")
        ).items():
            per_day[day] += entries_that_day
        seen = 0
        for day in sorted(per_day, reverse=True):
            seen += per_day[day]
            if seen >= MAP_ENTRY_LIMIT:
                return (day, end, True) if day > start else (start, end, False)
        return start, end, False
    nth = (
        entries.filter(occurred_at__lt=day_start(end + dt.timedelta(days=1)))
        .order_by("-occurred_at", "-id")
        .values_list("occurred_at", flat=True)[MAP_ENTRY_LIMIT - 1 : MAP_ENTRY_LIMIT]
    )
    nth = list(nth)
    if nth and timezone.localdate(nth[0]) > start:
        return timezone.localdate(nth[0]), end, True
    return start, end, False


def in_window(form, entries, window):
    """`entries` (the filtered timeline) on the window's days; for one place, actor or grade,
    read by key from its roll-up."""
    first, last = window[:2]
    chosen = pictures.single_filter(form)
    if chosen is not None:
        track = form.valid_data.get("track", "")
        on_days = entries_on_days(chosen, first, last, track=track)
        if on_days is not None:
            return on_days
    return entries.filter(
        occurred_at__gte=day_start(first), occurred_at__lt=day_start(last + dt.timedelta(days=1))
    )


def points(entries, *, cell, bbox=None):
    """Cells as points: position, count per track, and a link to the timeline there."""
    rows = entries.map_cells(cell=cell, bbox=bbox)
    known = Place.objects.filter(pk__in={row["first_place"] for row in rows})
    slugs, names = {}, {}
    for pk, slug, name in known.values_list("pk", "slug", "name"):
        slugs[pk], names[pk] = slug, name
    cells = {}
    for row in rows:
        key = (row["cx"], row["cy"])
        point = cells.setdefault(
            key,
            {
                "lat": row["lat"],
                "lon": row["lon"],
                Track.MILITARY: 0,
                Track.DIPLOMACY: 0,
                "places": row["n_places"],
                "place": names.get(row["first_place"], ""),
                "place_slug": slugs.get(row["first_place"], ""),
            },
        )
        point[row["entry__track"]] += row["n"]
        point["places"] = max(point["places"], row["n_places"])
    out = []
    for point in cells.values():
        point["n"] = point[Track.MILITARY] + point[Track.DIPLOMACY]
        point["track"] = (
            "both"
            if point[Track.MILITARY] and point[Track.DIPLOMACY]
            else Track.MILITARY
            if point[Track.MILITARY]
            else Track.DIPLOMACY
        )
        point["lat"], point["lon"] = round(point["lat"], 4), round(point["lon"], 4)
        out.append(point)
    return out


def timeline_link(form, window, place_slug=""):
    data = form.valid_data if form.is_bound else {}
    query = {}
    for name in ("q", "track", "assessment"):
        if data.get(name):
            query[name] = data[name]
    if data.get("actor"):
        query["actor"] = data["actor"].slug
    if place_slug or data.get("place"):
        query["place"] = place_slug or data["place"].slug
    query["from"], query["to"] = window[0].isoformat(), window[1].isoformat()
    return f"{reverse('timeline:index')}?{urlencode(query)}"


class MapView(TemplateView):
    template_name = "timeline/map.html"

    def get_context_data(self, **kwargs):
        form = EntryFilterSet(self.request.GET or None)
        filtered = filtered_entries(form)
        window = map_window(form, filtered)
        entries = in_window(form, filtered, window)
        cells = points(entries, cell=FALLBACK_CELL, bbox=charts.MAP_BOUNDS)
        height = charts.map_height(SVG_WIDTH)
        biggest = max((p["n"] for p in cells), default=1)
        for point in cells:
            point["x"], point["y"] = charts.project(point["lon"], point["lat"], width=SVG_WIDTH)
            point["r"] = round(4 + 14 * (point["n"] / biggest) ** 0.5, 1)
            point["href"] = timeline_link(form, window, point["place_slug"])
        cells.sort(key=lambda p: -p["n"])
        return {
            "form": form.form,
            "filtering": form.is_filtering,
            "ambiguous": ambiguous_links(form.form, self.request.GET),
            "window": window,
            "default_days": DEFAULT_DAYS,
            "entry_limit": MAP_ENTRY_LIMIT,
            "base_map": base_map(),
            "svg_width": SVG_WIDTH,
            "svg_height": height,
            "cells": cells,
            "no_coordinates": capped_count(entries.without_coordinates()),
            "points_url": reverse("api:map-points"),
            "timeline_url": timeline_link(form, window),
            "query": self.request.GET.urlencode(),
        }


def parse_bbox(value):
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        return None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return west, south, east, north


def map_points(request):
    """GET /api/v1/map/points/?bbox=west,south,east,north&zoom=6 plus the timeline's filters:
    entries aggregated to a grid of about 60 screen pixels at that zoom, never every row."""
    form = EntryFilterSet(request.GET or None)
    if form.is_bound and form.errors:
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        if set(errors) - {"__all__"}:
            return JsonResponse({"errors": errors}, status=400)
    bbox = parse_bbox(request.GET.get("bbox", "-180,-90,180,90"))
    if bbox is None:
        return JsonResponse(
            {"errors": {"bbox": ["Give bbox as west,south,east,north."]}}, status=400
        )
    try:
        zoom = int(request.GET.get("zoom", "5"))
    except ValueError:
        return JsonResponse({"errors": {"zoom": ["Give zoom as a whole number."]}}, status=400)
    filtered = filtered_entries(form)
    window = map_window(form, filtered)
    entries = in_window(form, filtered, window)
    cells = points(entries, cell=charts.grid_cell_size(zoom), bbox=bbox)
    for point in cells:
        point["href"] = timeline_link(form, window, point["place_slug"])
    return JsonResponse(
        {
            "from": window[0].isoformat(),
            "to": window[1].isoformat(),
            "latest_only": window[2],
            "zoom": zoom,
            "points": cells,
        }
    )
