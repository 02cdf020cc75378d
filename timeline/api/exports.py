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
from rest_framework.filters import SearchFilter
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer

from timeline.models import Entry, EntryActor, Figure, Place, PlaceTree, Precision, Track

from . import filters
from .permissions import ModelPermissionsOrAnonReadOnly
from .views import reject_nul_parameters

CHUNK_SIZE = 1000

CSV_COLUMNS = (
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "fatalities",
    "source",
    "notes",
    "track",
    "slug",
    "url",
    "dataset",
    "attribution",
)

# ACLED's event types (codebook): strikes are remote violence; statements, talks and
# interceptions are "strategic developments" (ACLED codes interceptions as disrupted weapons).
REMOTE_VIOLENCE = "Explosions/Remote violence"
STRATEGIC = "Strategic developments"
ACLED_TYPES = {
    Entry.Kind.MISSILE_STRIKE: (REMOTE_VIOLENCE, "Shelling/artillery/missile attack"),
    Entry.Kind.INFRASTRUCTURE_STRIKE: (REMOTE_VIOLENCE, "Shelling/artillery/missile attack"),
    Entry.Kind.DRONE_STRIKE: (REMOTE_VIOLENCE, "Air/drone strike"),
    Entry.Kind.COMBINED_STRIKE: (REMOTE_VIOLENCE, "Air/drone strike"),
    Entry.Kind.CROSS_BORDER_STRIKE: (REMOTE_VIOLENCE, "Air/drone strike"),
    Entry.Kind.INTERCEPTION_REPORT: (STRATEGIC, "Disrupted weapons use"),
    Entry.Kind.AGREEMENT: (STRATEGIC, "Agreement"),
    Entry.Kind.TALKS: (STRATEGIC, "Other"),
    Entry.Kind.STATEMENT: (STRATEGIC, "Other"),
    Entry.Kind.PROPOSAL: (STRATEGIC, "Other"),
}

# Most specific first: the entry's "location" is its most specific place with coordinates.
SPECIFICITY = {
    Place.Kind.SITE: 0,
    Place.Kind.DISTRICT: 1,
    Place.Kind.CITY: 2,
    Place.Kind.REGION: 3,
    Place.Kind.COUNTRY: 4,
}

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def fatalities(entry, places):
    """Best estimates of the current `killed` figures, each death counted once."""
    return sum(figure.best for figure in entry.figures_counted_once(Figure.Metric.KILLED, places))


def primary_place(entry):
    ordered = sorted(
        entry.places.all(),
        key=lambda place: (not place.has_coordinates, SPECIFICITY.get(place.kind, 9), place.name),
    )
    return ordered[0] if ordered else None


def actor_columns(entry):
    """ACLED's actor1 (who acts or speaks) and actor2 (at whom, or with whom)."""
    rows = list(entry.entry_actors.all())

    def named(role):
        return [row.actor.name for row in rows if row.role == role]

    Role = EntryActor.Role
    first = named(Role.INITIATOR) or named(Role.SPEAKER)
    parties, targets = named(Role.PARTY), named(Role.TARGET)
    if not first and parties:
        first, parties = parties[:1], parties[1:]
    return "; ".join(first), "; ".join(targets + parties)


def attribution(entry):
    """The credit a redistributable dataset asks for, with its licence: "UCDP ... (CC BY 4.0)"."""
    dataset = entry.dataset
    if dataset is None:
        return ""
    credit = dataset.attribution or dataset.name
    return f"{credit} ({dataset.licence})" if dataset.licence else credit


def source_names(entry):
    names = []
    for source in entry.sources.all():
        name = source.publisher or source.title
        if name not in names:
            names.append(name)
    return "; ".join(names)


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
        entries = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(self.stream(entries), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response

    def entries(self, queryset):
        return queryset.iterator(chunk_size=CHUNK_SIZE)

    def page_url(self, entry):
        return self.request.build_absolute_uri(entry.get_absolute_url())


FILTERED = {"filters": True}


class EntriesCsvExport(ExportView):
    """One row per published entry, ACLED's columns first, then Parallax's."""

    content_type = "text/csv; charset=utf-8"
    filename = "parallax-entries.csv"

    @extend_schema(
        summary="Entries as CSV (ACLED columns)",
        description="One row per published entry: " + ", ".join(CSV_COLUMNS) + ". Entries from "
        "a dataset whose licence forbids passing its rows on (ACLED) are left out; others "
        "carry the dataset's name and attribution. `fatalities` "
        "adds up the best estimates of the current `killed` figures, leaving out a figure "
        "whose place lies inside another one's (no one is counted twice). Cells that a "
        "spreadsheet would run as a formula are prefixed with a single quote.",
        responses={(200, "text/csv"): OpenApiTypes.STR},
        **FILTERED,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def stream(self, queryset):
        writer = csv.writer(Echo())
        yield writer.writerow(CSV_COLUMNS)
        places = PlaceTree()
        for entry in self.entries(queryset):
            yield writer.writerow(self.row(entry, places))

    def row(self, entry, places):
        event_type, sub_event_type = ACLED_TYPES.get(entry.kind, (STRATEGIC, "Other"))
        actor1, actor2 = actor_columns(entry)
        place = primary_place(entry)
        has_coordinates = place is not None and place.has_coordinates
        notes = entry.summary + (f" Time: {entry.time_note}" if entry.time_note else "")
        texts = [
            timezone.localtime(entry.occurred_at).date().isoformat(),
            event_type,
            sub_event_type,
            actor1,
            actor2,
            places.region_name(place.pk) if place else "",
            place.name if place else "",
        ]
        numbers = [
            place.latitude if has_coordinates else "",
            place.longitude if has_coordinates else "",
            fatalities(entry, places),
        ]
        dataset = entry.dataset
        more = [
            source_names(entry),
            notes,
            entry.track,
            entry.slug,
            self.page_url(entry),
            dataset.name if dataset else "",
            attribution(entry),
        ]
        return [*map(safe_cell, texts), *numbers, *map(safe_cell, more)]


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
            event["text"]["text"] += f"<p>Data: {escape(attribution(entry))}</p>"
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
                "attribution": attribution(entry),
            },
        }
