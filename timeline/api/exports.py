"""Exports of published entries: CSV in ACLED's columns, TimelineJS3 JSON and GeoJSON.

Each accepts the entry list's filters, streams (entries are read in chunks, with their
related rows prefetched per chunk) and is offered as a download.
"""

import csv
import json

from django.db.models import Exists, OuterRef
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.html import escape
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer

from timeline.models import Entry, Precision, Track

from . import filters, layouts
from .permissions import ModelPermissionsOrAnonReadOnly
from .views import reject_nul_parameters

CHUNK_SIZE = 1000

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text cells that cannot run as a formula; numbers pass as they are (-3.5 is a number)."""
    if not isinstance(value, str):
        return "" if value is None else value
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


class Echo:
    """csv.writer writes into this and hands the line back, so rows stream."""

    def write(self, value):
        return value


class ExportView(GenericAPIView):
    permission_classes = [ModelPermissionsOrAnonReadOnly]
    renderer_classes = [JSONRenderer]  # for errors; the export itself streams its own format
    filter_backends = [DjangoFilterBackend, SearchFilter, filters.StableOrderingFilter]
    filterset_class = filters.EntryFilter
    search_fields = ["title", "summary", "claims__quote", "claims__paraphrase"]
    ordering_fields = ["occurred_at", "updated_at", "title", "id"]
    ordering = ("-occurred_at", "-id")
    pagination_class = None
    queryset = Entry.objects.none()
    content_type = "application/json"
    filename = "parallax"

    def perform_content_negotiation(self, request, force=False):
        # The format is the URL's: never 406 because of an Accept header.
        return super().perform_content_negotiation(request, force=True)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        reject_nul_parameters(request)

    def get_queryset(self):
        # Exports are public documents: published entries only, whoever asks, and only those
        # whose dataset's licence lets its rows be passed on (not ACLED's).
        return Entry.objects.published().redistributable().with_related()

    def get(self, request, *args, **kwargs):
        entries = self.limited(self.filter_queryset(self.get_queryset()))
        response = StreamingHttpResponse(self.stream(entries), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response

    def entries(self, queryset):
        return queryset.iterator(chunk_size=CHUNK_SIZE)

    def limited(self, queryset):
        """`?limit=N`: the first N entries in the export's order (everything without it)."""
        raw = self.request.query_params.get("limit")
        if raw is None:
            return queryset
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"limit": ["Give a whole number of entries, 1 or more."]})
        return queryset[: int(raw)]

    def page_url(self, entry):
        return self.request.build_absolute_uri(entry.get_absolute_url())


FILTERED = {"filters": True}


class LayoutCsvExport(ExportView):
    """A CSV in a dataset's own layout: its columns, in its order, then Parallax's.

    Both datasets locate every event, so an entry with no place at all is left out of these
    layouts (it is in the JSON exports and the API): a row without a country cannot carry
    the codes that tools reading the layout expect.
    """

    content_type = "text/csv; charset=utf-8"
    columns = ()

    def get_queryset(self):
        located = Entry.places.through.objects.filter(entry=OuterRef("pk"))
        return super().get_queryset().filter(Exists(located))

    def stream(self, queryset):
        writer = csv.writer(Echo())
        columns = (*self.columns, *layouts.PARALLAX_COLUMNS)
        yield writer.writerow(columns)
        chains = layouts.PlaceChain()
        for entry in self.entries(queryset):
            row = self.row(entry, chains, page_url=self.page_url(entry))
            yield writer.writerow([safe_cell(row[column]) for column in columns])


LAYOUT_NOTE = (
    " Entries with no place are left out (they are in the JSON exports), and so are entries "
    "from a dataset whose licence forbids passing its rows on (ACLED). "
    "Parallax's own columns follow: " + ", ".join(layouts.PARALLAX_COLUMNS) + " (figures_json "
    "holds the current figures). Text cells that a spreadsheet would run as a formula are "
    "prefixed with a single quote."
)


class EntriesCsvExport(LayoutCsvExport):
    """One row per published entry in ACLED's 31 columns, then Parallax's."""

    filename = "parallax-entries.csv"
    columns = layouts.ACLED_COLUMNS
    row = staticmethod(layouts.acled_row)

    @extend_schema(
        summary="Entries as CSV in ACLED's layout",
        description="One row per published entry in ACLED's 31 columns, in ACLED's order and "
        "types: event_id_cnty is the imported id or PLX plus Parallax's number; "
        "time_precision and geo_precision 1-3; inter1, inter2 and interaction codes from the "
        "actors' kinds; iso numeric; timestamp the Unix time of the last change; fatalities "
        "the best estimates of the current killed figures, no one counted twice; diplomacy "
        "as Strategic developments." + LAYOUT_NOTE,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        **FILTERED,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EntriesUcdpCsvExport(LayoutCsvExport):
    """One row per published military entry in UCDP GED's 49 columns, then Parallax's.

    UCDP GED records organised violence only: the diplomacy track has no place in it.
    """

    filename = "parallax-entries-ucdp.csv"
    columns = layouts.UCDP_COLUMNS
    row = staticmethod(layouts.ucdp_row)

    def get_queryset(self):
        return super().get_queryset().filter(track=Track.MILITARY)

    @extend_schema(
        summary="Entries as CSV in UCDP GED's layout",
        description="One row per published military entry in UCDP GED's 49 columns (GED "
        "records organised violence, so the diplomacy track is left out): best, low and high "
        "from the current killed figures, deaths by side where the figures give them, "
        "date_prec 1-5 and where_prec from the precisions, side_a and side_b from the "
        "actors. UCDP's own codes (conflict and dyad ids, Gleditsch-Ward numbers) are left "
        "empty." + LAYOUT_NOTE,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        **FILTERED,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def timelinejs_date(moment, precision):
    """A TimelineJS date with only the parts the precision vouches for."""
    local = timezone.localtime(moment)
    if precision == Precision.YEAR:
        return {"year": local.year}
    date = {"year": local.year, "month": local.month}
    if precision == Precision.MONTH:
        return date
    date["day"] = local.day
    if precision in (Precision.PART_OF_DAY, Precision.EXACT):
        date["hour"] = local.hour
    if precision == Precision.EXACT:
        date["minute"] = local.minute
    return date


DATE_SCHEMA = {
    "type": "object",
    "properties": {
        part: {"type": "integer"} for part in ("year", "month", "day", "hour", "minute")
    },
    "required": ["year"],
}
TEXT_SCHEMA = {
    "type": "object",
    "properties": {"headline": {"type": "string"}, "text": {"type": "string"}},
    "required": ["headline"],
}
TIMELINEJS_SCHEMA = {
    "type": "object",
    "description": "TimelineJS3 JSON (https://timeline.knightlab.com/docs/json-format.html).",
    "properties": {
        "title": {"type": "object", "properties": {"text": TEXT_SCHEMA}},
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "unique_id": {"type": "string"},
                    "start_date": DATE_SCHEMA,
                    "end_date": DATE_SCHEMA,
                    "text": TEXT_SCHEMA,
                    "group": {"type": "string", "enum": Track.values},
                    "media": {
                        "type": "object",
                        "properties": {
                            "url": {"type": "string"},
                            "caption": {"type": "string"},
                            "credit": {"type": "string"},
                            "link": {"type": "string"},
                        },
                        "required": ["url"],
                    },
                },
                "required": ["unique_id", "start_date", "text", "group"],
            },
        },
        "eras": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "start_date": DATE_SCHEMA,
                    "end_date": DATE_SCHEMA,
                    "text": TEXT_SCHEMA,
                },
                "required": ["start_date", "end_date", "text"],
            },
        },
    },
    "required": ["title", "events", "eras"],
}


class TimelineJsExport(ExportView):
    """Published entries as TimelineJS3 slides; negotiation windows as eras."""

    filename = "parallax-timelinejs.json"

    @extend_schema(
        summary="Entries as TimelineJS3 JSON",
        description="Events with start and end dates to their precision (a month-precise "
        "entry has no day, a day-precise one no hour), the track as the group, the first "
        "source with a web address as media; talks that span time are eras.",
        responses={(200, "application/json"): TIMELINEJS_SCHEMA},
        **FILTERED,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def stream(self, queryset):
        title = {
            "text": {
                "headline": "Parallax",
                "text": "What leaders said about peace, and what armies did, on one time axis.",
            }
        }
        yield '{"title": ' + json.dumps(title) + ', "events": ['
        eras = []
        separator = ""
        for entry in self.entries(queryset):
            yield separator + json.dumps(self.event(entry))
            separator = ", "
            if entry.track == Track.DIPLOMACY and entry.kind == Entry.Kind.TALKS and entry.ended_at:
                eras.append(
                    {
                        "start_date": timelinejs_date(entry.occurred_at, entry.precision),
                        "end_date": timelinejs_date(entry.ended_at, entry.precision),
                        "text": {"headline": escape(entry.title)},
                    }
                )
        yield '], "eras": ' + json.dumps(eras) + "}"

    def event(self, entry):
        url = self.page_url(entry)
        event = {
            "unique_id": entry.slug,
            "start_date": timelinejs_date(entry.occurred_at, entry.precision),
            "text": {
                "headline": escape(entry.title),
                "text": f'<p>{escape(entry.summary)}</p><p><a href="{escape(url)}">'
                "Claims, figures and sources</a></p>",
            },
            "group": entry.track,
        }
        if entry.ended_at:
            event["end_date"] = timelinejs_date(entry.ended_at, entry.precision)
        if entry.dataset_id:
            event["text"]["text"] += f"<p>Data: {escape(layouts.attribution(entry))}</p>"
        source = next((s for s in entry.sources.all() if s.url), None)
        if source is not None:
            event["media"] = {
                "url": source.url,
                "caption": escape(source.title),
                "credit": escape(source.publisher),
                "link": source.url,
            }
        return event


POINT_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    },
    "required": ["type", "coordinates"],
}
GEOJSON_SCHEMA = {
    "type": "object",
    "description": "A GeoJSON FeatureCollection (RFC 7946): one Point per entry and place.",
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string"},
                    "geometry": POINT_SCHEMA,
                    "properties": {
                        "type": "object",
                        "properties": {
                            name: {"type": "string"}
                            for name in (
                                "slug",
                                "title",
                                "track",
                                "kind",
                                "occurred_at",
                                "precision",
                                "url",
                                "place",
                                "place_name",
                                "dataset",
                                "attribution",
                            )
                        },
                    },
                },
                "required": ["type", "geometry", "properties"],
            },
        },
    },
    "required": ["type", "features"],
}


class EntriesGeoJsonExport(ExportView):
    """Published entries with coordinates, as a GeoJSON FeatureCollection."""

    content_type = "application/geo+json"
    filename = "parallax-entries.geojson"

    @extend_schema(
        summary="Entries as GeoJSON",
        description="A FeatureCollection with one Point feature per published entry and "
        "each of its places that has coordinates ([longitude, latitude], RFC 7946).",
        responses={(200, "application/geo+json"): GEOJSON_SCHEMA},
        **FILTERED,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        located = Entry.places.through.objects.filter(
            entry=OuterRef("pk"), place__latitude__isnull=False, place__longitude__isnull=False
        )
        return super().get_queryset().filter(Exists(located))

    def stream(self, queryset):
        yield '{"type": "FeatureCollection", "features": ['
        separator = ""
        for entry in self.entries(queryset):
            for place in entry.places.all():
                if place.has_coordinates:
                    yield separator + json.dumps(self.feature(entry, place))
                    separator = ", "
        yield "]}"

    def feature(self, entry, place):
        return {
            "type": "Feature",
            "id": f"{entry.slug}@{place.slug}",
            "geometry": {
                "type": "Point",
                "coordinates": [float(place.longitude), float(place.latitude)],
            },
            "properties": {
                "slug": entry.slug,
                "title": entry.title,
                "track": entry.track,
                "kind": entry.kind,
                "occurred_at": timezone.localtime(entry.occurred_at).isoformat(),
                "precision": entry.precision,
                "url": self.page_url(entry),
                "place": place.slug,
                "place_name": place.name,
                "dataset": entry.dataset.name if entry.dataset_id else "",
                "attribution": layouts.attribution(entry),
            },
        }
