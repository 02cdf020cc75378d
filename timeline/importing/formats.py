"""One parser per file format: ACLED, UCDP GED, and any CSV described by a TOML mapping.

Each parser knows its columns and turns one row into an EventRecord, or says why it will not
(RowSkipped for events Parallax does not track, RowRejected for rows that break the format).

How the codes were read, and from where:

- ACLED Codebook (acleddata.com/knowledge-base/codebook; the 2023 and 2024 editions):
  event and sub-event types; time_precision 1 = the actual date, 2 = "sometime during the
  week or a similar period", 3 = only the month (coded to its middle); geo_precision 1 = a
  named town and its coordinates, 2 = near a town or part of a region (coded to a town),
  3 = a larger region (a provincial capital or a natural location stands for it); the inter
  codes 1-8; and "Actor 1 and Actor 2 do not imply directionality".
- UCDP GED Codebook (ucdp.uu.se/downloads, versions 19.1 to 25.1): the 49 columns;
  date_prec 1 = exact day, 2 = two to six days, 3 = a week, 4 = a month, 5 = a year;
  where_prec 1 = the exact location, 2 = within about 25 km of it, 3 = an ADM2 centroid,
  4 = an ADM1 centroid, 5 = a part of the country larger than ADM1 or a point between two
  places, 6 = the country's centroid, 7 = over water or in international airspace.

Decisions the writer relies on:

- ACLED fatalities of 0 are a figure (best=0): ACLED's 0 means "no fatalities reported",
  and a later release that raises it must show as a revision of something.
- ACLED geo_precision 1 is "city", not "exact": the coordinates are the named town's, not
  the site's. 2 is "near", 3 is "region".
- ACLED actor roles: actor1 initiator and actor2 target for Explosions/Remote violence and
  Violence against civilians (one side acts on the other); both "party" for Battles and
  Strategic developments, where the codebook gives the order no meaning. Associated actors
  are always "party".
- UCDP sides are both "party", except in one-sided violence (type 3), where side A is by
  definition the perpetrator (initiator) and side B the civilians (target).
- UCDP where_prec 1 is "exact", 2 "near", 3, 4, 5 and 7 "region"; with 6 the coordinates
  are the country's centroid, which says nothing the country's name does not, and are left
  out (the raw row keeps them).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from .reading import CsvReader, ImportFileError
from .records import (
    DIPLOMACY,
    EXTERNAL_ID_MAX_LENGTH,
    KINDS,
    MILITARY,
    PLACE_LEVELS,
    PRECISIONS,
    TITLE_MAX_LENGTH,
    TRACKS,
    ActorRecord,
    DatasetInfo,
    EventRecord,
    FigureRecord,
    PlaceRecord,
    RowRejected,
    RowSkipped,
    clean_line,
    clean_text,
    generated_title,
    shorten,
    track_of,
)
from .values import (
    DAY_MONTH_NAME_YEAR,
    EXCEL_DAY_MONTH_YEAR,
    ISO_DATE,
    US_MONTH_DAY_YEAR,
    Warnings,
    estimate,
    parse_code,
    parse_coordinates,
    parse_date,
    parse_datetime,
)


def places_from(row: dict, columns: Iterable[tuple[str, str]]) -> list[PlaceRecord]:
    """Place names largest first from (column, level) pairs: empty levels are dropped, and
    so is a level that repeats the one above it ("Kyiv City" over "Kyiv City")."""
    places: list[PlaceRecord] = []
    for column, level in columns:
        name = clean_line(row.get(column) or "")
        if name and not (places and places[-1].name.casefold() == name.casefold()):
            places.append(PlaceRecord(name, level))
    return places


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", "…")) else text + "."


class EventFormat:
    """What every parser offers the reader and the writer."""

    name: ClassVar[str]
    label: ClassVar[str]
    columns: ClassVar[tuple[str, ...]] = ()
    id_column: str
    required_columns: frozenset[str]
    dataset: DatasetInfo

    def check_header(self, reader: CsvReader) -> None:
        """Raise ImportFileError naming every required column the file lacks."""
        order = {column: position for position, column in enumerate(self.columns)}
        needed = sorted(self.required_columns, key=lambda c: (order.get(c, len(order)), c))
        reader.require(needed, self.label)

    def external_id(self, row: dict) -> str:
        external_id = clean_line(row.get(self.id_column) or "")
        if not external_id:
            raise RowRejected(self.id_column, "no id")
        if len(external_id) > EXTERNAL_ID_MAX_LENGTH:
            raise RowRejected(
                self.id_column, f"the id is longer than {EXTERNAL_ID_MAX_LENGTH} characters"
            )
        return external_id

    def parse(self, line: int, row: dict) -> EventRecord:
        raise NotImplementedError


class AcledFormat(EventFormat):
    """ACLED's export and API rows (the 31 columns of its codebook)."""

    name = "acled"
    label = "an ACLED export"
    columns = (
        "event_id_cnty",
        "event_date",
        "year",
        "time_precision",
        "disorder_type",
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "inter1",
        "actor2",
        "assoc_actor_2",
        "inter2",
        "interaction",
        "civilian_targeting",
        "iso",
        "region",
        "country",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source",
        "source_scale",
        "notes",
        "fatalities",
        "tags",
        "timestamp",
    )
    required_columns = frozenset(columns) - {
        "year",
        "disorder_type",
        "interaction",
        "civilian_targeting",
        "iso",
        "region",
        "source_scale",
        "tags",
        "timestamp",
    }
    id_column = "event_id_cnty"
    dataset = DatasetInfo(
        name="ACLED",
        licence="ACLED Terms of Use",
        licence_url="https://acleddata.com/terms-of-use/",
        attribution="Armed Conflict Location & Event Data (ACLED), acleddata.com",
        redistributable=False,
    )

    DATE_LAYOUTS = (ISO_DATE, DAY_MONTH_NAME_YEAR, EXCEL_DAY_MONTH_YEAR)
    TIME_PRECISIONS = {1: "day", 2: "week", 3: "month"}
    GEO_PRECISIONS = {1: "city", 2: "near", 3: "region"}
    INTER_CODES = {
        1: "State forces",
        2: "Rebel group",
        3: "Political militia",
        4: "Identity militia",
        5: "Rioters",
        6: "Protesters",
        7: "Civilians",
        8: "External/Other forces",
    }
    MILITARY_EVENT_TYPES = {
        "Explosions/Remote violence": {
            "Air/drone strike": "air_or_drone_strike",
            "Shelling/artillery/missile attack": "shelling_artillery_missile",
            "Remote explosive/landmine/IED": "remote_explosive",
            "Grenade": "grenade",
            "Suicide bomb": "suicide_bomb",
            "Chemical weapon": "chemical_weapon",
        },
        "Battles": {
            "Armed clash": "armed_clash",
            "Government regains territory": "territory_change",
            "Non-state actor overtakes territory": "territory_change",
        },
        "Violence against civilians": {
            "Attack": "attack_on_civilians",
            "Sexual violence": "sexual_violence",
            "Abduction/forced disappearance": "abduction",
        },
    }
    DIRECTED_EVENT_TYPES = frozenset({"Explosions/Remote violence", "Violence against civilians"})
    STRATEGIC = "Strategic developments"
    TALKS = re.compile(r"\b(?:peace|ceasefire|cease-fire) (?:talks|negotiations)\b", re.I)
    CEASEFIRE = re.compile(r"\b(?:ceasefire|cease-fire|truce)\b", re.I)

    def classify(self, event_type: str, sub_event_type: str, notes: str) -> tuple[str, str]:
        """(track, kind) for an event, or RowSkipped for what Parallax does not track."""
        if not event_type:
            raise RowRejected("event_type", "no event type")
        kinds = self.MILITARY_EVENT_TYPES.get(event_type)
        if kinds is not None:
            if sub_event_type not in kinds:
                raise RowSkipped(f"sub-event type {sub_event_type or '(none)'}")
            return MILITARY, kinds[sub_event_type]
        if event_type == self.STRATEGIC:
            text = f"{sub_event_type} {notes}"
            if self.TALKS.search(text):
                return DIPLOMACY, "talks"
            if self.CEASEFIRE.search(text):
                return DIPLOMACY, "ceasefire"
            if sub_event_type == "Agreement":
                return DIPLOMACY, "agreement"
            raise RowSkipped(f"sub-event type {sub_event_type or '(none)'}")
        raise RowSkipped(f"event type {event_type}")

    def actors(self, row: dict, event_type: str) -> list[ActorRecord]:
        directed = event_type in self.DIRECTED_EVENT_TYPES
        actors: list[ActorRecord] = []
        for actor, inter, assoc, role in (
            ("actor1", "inter1", "assoc_actor_1", "initiator" if directed else "party"),
            ("actor2", "inter2", "assoc_actor_2", "target" if directed else "party"),
        ):
            name = clean_line(row.get(actor) or "")
            if name:
                actors.append(ActorRecord(name, role, self.actor_type(row.get(inter))))
            for associated in (row.get(assoc) or "").split(";"):
                associated = clean_line(associated)
                if associated:
                    actors.append(ActorRecord(associated, "party"))
        return actors

    def actor_type(self, value: str | None) -> str:
        code = parse_code(value)
        if code is not None:
            return self.INTER_CODES.get(code, "")
        return clean_line(value or "")

    def parse(self, line: int, row: dict) -> EventRecord:
        warnings: Warnings = []
        event_type = clean_line(row.get("event_type") or "")
        notes = clean_text(row.get("notes") or "")
        track, kind = self.classify(event_type, clean_line(row.get("sub_event_type") or ""), notes)
        external_id = self.external_id(row)
        occurred_on = parse_date(row.get("event_date"), self.DATE_LAYOUTS, "event_date")

        code = parse_code(row.get("time_precision"))
        precision = self.TIME_PRECISIONS.get(code or 0)
        if precision is None:
            warnings.append(
                ("time_precision", f"'{row.get('time_precision')}' is not 1, 2 or 3; read as 1")
            )
            precision = "day"

        places = places_from(
            row,
            [
                ("country", "country"),
                ("admin1", "admin1"),
                ("admin2", "admin2"),
                ("admin3", "admin3"),
                ("location", "location"),
            ],
        )
        latitude, longitude = parse_coordinates(row, "latitude", "longitude", warnings)
        coordinate_precision = ""
        if latitude is not None:
            code = parse_code(row.get("geo_precision"))
            coordinate_precision = self.GEO_PRECISIONS.get(code or 0, "")
            if not coordinate_precision:
                warnings.append(
                    ("geo_precision", f"'{row.get('geo_precision')}' is not 1, 2 or 3; read as 3")
                )
                coordinate_precision = "region"

        figure = estimate(row, "killed", warnings, best="fatalities")
        title = generated_title(kind, places)
        return EventRecord(
            line=line,
            external_id=external_id,
            track=track,
            kind=kind,
            title=title,
            summary=notes or title,
            occurred_on=occurred_on,
            precision=precision,
            places=places,
            latitude=latitude,
            longitude=longitude,
            coordinate_precision=coordinate_precision,
            actors=self.actors(row, event_type),
            figures=[figure] if figure else [],
            source_text=clean_line(row.get("source") or ""),
            raw=row,
            warnings=warnings,
        )


class UcdpGedFormat(EventFormat):
    """UCDP's Georeferenced Event Dataset, as its CSV downloads give it."""

    name = "ucdp"
    label = "a UCDP GED file"
    columns = (
        "id",
        "relid",
        "year",
        "active_year",
        "code_status",
        "type_of_violence",
        "conflict_dset_id",
        "conflict_new_id",
        "conflict_name",
        "dyad_dset_id",
        "dyad_new_id",
        "dyad_name",
        "side_a_dset_id",
        "side_a_new_id",
        "side_a",
        "side_b_dset_id",
        "side_b_new_id",
        "side_b",
        "number_of_sources",
        "source_article",
        "source_office",
        "source_date",
        "source_headline",
        "source_original",
        "where_prec",
        "where_coordinates",
        "where_description",
        "adm_1",
        "adm_2",
        "latitude",
        "longitude",
        "geom_wkt",
        "priogrid_gid",
        "country",
        "country_id",
        "region",
        "event_clarity",
        "date_prec",
        "date_start",
        "date_end",
        "deaths_a",
        "deaths_b",
        "deaths_civilians",
        "deaths_unknown",
        "best",
        "high",
        "low",
        "gwnoa",
        "gwnob",
    )
    required_columns = frozenset(
        {
            "id",
            "relid",
            "year",
            "type_of_violence",
            "conflict_name",
            "dyad_name",
            "side_a",
            "side_b",
            "source_article",
            "source_original",
            "where_prec",
            "where_description",
            "adm_1",
            "adm_2",
            "latitude",
            "longitude",
            "country",
            "date_prec",
            "date_start",
            "date_end",
            "deaths_a",
            "deaths_b",
            "deaths_civilians",
            "deaths_unknown",
            "best",
            "high",
            "low",
        }
    )
    id_column = "id"
    dataset = DatasetInfo(
        name="UCDP GED",
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        attribution="Uppsala Conflict Data Program (UCDP), Georeferenced Event Dataset",
        redistributable=True,
    )

    DATE_LAYOUTS = (ISO_DATE, US_MONTH_DAY_YEAR)
    KINDS = {1: "state_based_violence", 2: "non_state_violence", 3: "one_sided_violence"}
    DATE_PRECISIONS = {1: "day", 2: "several_days", 3: "week", 4: "month", 5: "year"}
    WHERE_PRECISIONS = {1: "exact", 2: "near", 3: "region", 4: "region", 5: "region", 7: "region"}
    COUNTRY_CENTROID = 6
    # where_coordinates names the place the coordinates stand for, with UCDP's descriptor
    # ("Izium town"); for where_prec 3 and above it names an ADM unit already in adm_1/adm_2.
    PLACE_DESCRIPTOR = re.compile(r" (?:town|city|village)$")

    def figures(self, row: dict, warnings: Warnings) -> list[FigureRecord]:
        total = estimate(row, "killed", warnings, best="best", low="low", high="high")
        figures = [total] if total else []
        for column, breakdown, note in (
            ("deaths_a", "side_a", f"Deaths on side A: {clean_line(row.get('side_a') or '')}"),
            ("deaths_b", "side_b", f"Deaths on side B: {clean_line(row.get('side_b') or '')}"),
            ("deaths_civilians", "civilians", "Civilian deaths"),
            ("deaths_unknown", "unknown", "Deaths of persons of unknown status"),
        ):
            figure = estimate(
                row, "killed", warnings, best=column, note=shorten(note, 300), breakdown=breakdown
            )
            if figure and figure.best > 0:
                figures.append(figure)
        return figures

    def places(self, row: dict, where_prec: int | None) -> list[PlaceRecord]:
        places = places_from(
            row, [("country", "country"), ("adm_1", "admin1"), ("adm_2", "admin2")]
        )
        if where_prec in (1, 2):
            name = self.PLACE_DESCRIPTOR.sub("", clean_line(row.get("where_coordinates") or ""))
            if name and not (places and places[-1].name.casefold() == name.casefold()):
                places.append(PlaceRecord(name, "location"))
        return places

    def summary(self, row: dict) -> str:
        parts = []
        for label, column in (
            ("", "dyad_name"),
            ("Location: ", "where_description"),
            ("Headline: ", "source_headline"),
        ):
            text = clean_line(row.get(column) or "")
            if text:
                parts.append(_sentence(label + text))
        return " ".join(parts)

    def parse(self, line: int, row: dict) -> EventRecord:
        warnings: Warnings = []
        external_id = self.external_id(row)
        kind = self.KINDS.get(parse_code(row.get("type_of_violence")) or 0)
        if kind is None:
            raise RowRejected(
                "type_of_violence", f"'{row.get('type_of_violence')}' is not 1, 2 or 3"
            )
        occurred_on = parse_date(row.get("date_start"), self.DATE_LAYOUTS, "date_start")
        ended_on = None
        if clean_line(row.get("date_end") or ""):
            try:
                end = parse_date(row.get("date_end"), self.DATE_LAYOUTS, "date_end")
            except RowRejected as problem:
                warnings.append(("date_end", f"{problem.reason}; the end is left out"))
            else:
                if end < occurred_on:
                    warnings.append(("date_end", "before date_start; the end is left out"))
                elif end > occurred_on:
                    ended_on = end

        precision = self.DATE_PRECISIONS.get(parse_code(row.get("date_prec")) or 0)
        if precision is None:
            warnings.append(("date_prec", f"'{row.get('date_prec')}' is not 1 to 5; read as 1"))
            precision = "day"

        where_prec = parse_code(row.get("where_prec"))
        latitude, longitude = parse_coordinates(row, "latitude", "longitude", warnings)
        coordinate_precision = ""
        if where_prec == self.COUNTRY_CENTROID:
            latitude = longitude = None
        elif latitude is not None:
            coordinate_precision = self.WHERE_PRECISIONS.get(where_prec or 0, "")
            if not coordinate_precision:
                warnings.append(
                    ("where_prec", f"'{row.get('where_prec')}' is not 1 to 7; read as 4")
                )
                coordinate_precision = "region"

        one_sided = kind == "one_sided_violence"
        actors = [
            ActorRecord(clean_line(row.get(column) or ""), role)
            for column, role in (
                ("side_a", "initiator" if one_sided else "party"),
                ("side_b", "target" if one_sided else "party"),
            )
            if clean_line(row.get(column) or "")
        ]
        source_text = clean_line(row.get("source_article") or "")
        original = clean_line(row.get("source_original") or "")
        if original:
            source_text = f"{source_text} (original source: {original})".lstrip()

        places = self.places(row, where_prec)
        title = generated_title(kind, places)
        return EventRecord(
            line=line,
            external_id=external_id,
            track=MILITARY,
            kind=kind,
            title=title,
            summary=self.summary(row) or title,
            occurred_on=occurred_on,
            ended_on=ended_on,
            precision=precision,
            places=places,
            latitude=latitude,
            longitude=longitude,
            coordinate_precision=coordinate_precision,
            actors=actors,
            figures=self.figures(row, warnings),
            source_text=source_text,
            raw=row,
            warnings=warnings,
        )


MAPPING_KEYS: dict[str, dict[str, type]] = {
    "dataset": {
        "name": str,
        "licence": str,
        "licence_url": str,
        "attribution": str,
        "redistributable": bool,
    },
    "columns": {
        "external_id": str,
        "occurred_at": str,
        "title": str,
        "summary": str,
        "latitude": str,
        "longitude": str,
        "places": list,
        "source_url": str,
        "killed": str,
        "injured": str,
        "actor": str,
        "track": str,
        "kind": str,
    },
    "values": {"track": str, "kind": str, "precision": str},
    "dates": {"format": str},
}
REQUIRED_MAPPING_KEYS = (
    ("dataset", "name"),
    ("columns", "external_id"),
    ("columns", "occurred_at"),
)


def _kind_from(value: str) -> str | None:
    text = clean_line(value)
    slug = re.sub(r"[\s-]+", "_", text.casefold())
    if slug in KINDS:
        return slug
    return next(
        (kind for kind, label in KINDS.items() if label.casefold() == text.casefold()), None
    )


class MappedCsvFormat(EventFormat):
    """Any CSV, read through a TOML mapping of its columns (the shape of issue 8's example).

    Places are listed largest first; by position the first is the country, the last the
    location and those between admin1 to admin3. A time without a UTC offset is taken as
    UTC. The actor column's names (several separated by ";") are parties, since a mapping
    cannot say who acted on whom. Without [values] precision, a date is "day" precise and
    a date with a time "exact". Coordinates are taken as "near": the mapping cannot say how
    they were found, and "within a few km" is true of an exact point too.
    """

    name = "csv"
    label = "the mapping"

    def __init__(self, mapping: dict[str, Any], source: str = "the mapping"):
        self.source = source
        self._validate(mapping)
        dataset = mapping["dataset"]
        self.dataset = DatasetInfo(
            name=clean_line(dataset["name"]),
            licence=dataset.get("licence", ""),
            licence_url=dataset.get("licence_url", ""),
            attribution=dataset.get("attribution", ""),
            redistributable=dataset.get("redistributable", False),
        )
        columns = dict(mapping["columns"])
        places = columns.pop("places", [])
        self.place_columns: list[tuple[str, str]] = [
            (column, self._level(position, len(places))) for position, column in enumerate(places)
        ]
        self.column_of: dict[str, str] = columns
        values = mapping.get("values", {})
        self.fixed_track: str | None = values.get("track")
        self.fixed_kind: str | None = _kind_from(values["kind"]) if "kind" in values else None
        self.fixed_precision: str | None = values.get("precision")
        self.date_format: str | None = mapping.get("dates", {}).get("format")
        self.id_column = columns["external_id"]
        self.required_columns = frozenset(columns.values()) | {
            column for column, _ in self.place_columns
        }

    @classmethod
    def from_toml(cls, path: str | Path) -> MappedCsvFormat:
        path = Path(path)
        try:
            with path.open("rb") as file:
                mapping = tomllib.load(file)
        except OSError as error:
            raise ImportFileError(
                f"Cannot read the mapping {path}: {(error.strerror or str(error)).lower()}."
            ) from error
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ImportFileError(f"The mapping {path} is not valid TOML: {error}.") from error
        return cls(mapping, source=f"the mapping {path.name}")

    @staticmethod
    def _level(position: int, count: int) -> str:
        if position == 0:
            return "country"
        if position == count - 1:
            return "location"
        return PLACE_LEVELS[position]

    def _fail(self, message: str) -> ImportFileError:
        return ImportFileError(f"In {self.source}, {message}.")

    def _validate(self, mapping: dict[str, Any]) -> None:
        for table, keys in mapping.items():
            if table not in MAPPING_KEYS:
                known = ", ".join(f"[{name}]" for name in MAPPING_KEYS)
                raise self._fail(f"[{table}] is not a known table (the tables are {known})")
            if not isinstance(keys, dict):
                raise self._fail(f"{table} must be a table, [{table}]")
            for key, value in keys.items():
                expected = MAPPING_KEYS[table].get(key)
                if expected is None:
                    known = ", ".join(MAPPING_KEYS[table])
                    raise self._fail(f"[{table}] {key} is not a known key (known: {known})")
                self._check_type(table, key, value, expected)
        for table, key in REQUIRED_MAPPING_KEYS:
            if key not in mapping.get(table, {}):
                raise self._fail(f"[{table}] {key} is required")
        columns = mapping["columns"]
        values = mapping.get("values", {})
        if ("latitude" in columns) != ("longitude" in columns):
            raise self._fail("[columns] latitude and longitude go together: give both or neither")
        if len(columns.get("places", [])) > len(PLACE_LEVELS):
            raise self._fail(f"[columns] places lists at most {len(PLACE_LEVELS)} columns")
        for key in ("track", "kind"):
            if key in columns and key in values:
                raise self._fail(f"{key} is in both [columns] and [values]; keep one")
        if "kind" not in columns and "kind" not in values:
            raise self._fail("a kind is required: [values] kind, or [columns] kind to read it")
        if "track" in values and values["track"] not in TRACKS:
            raise self._fail(f"[values] track must be {' or '.join(TRACKS)}")
        if "kind" in values and _kind_from(values["kind"]) is None:
            raise self._fail(
                f"[values] kind '{values['kind']}' is not a known kind ({', '.join(KINDS)})"
            )
        if "precision" in values and values["precision"] not in PRECISIONS:
            raise self._fail(f"[values] precision must be one of {', '.join(PRECISIONS)}")
        if "%" not in mapping.get("dates", {}).get("format", "%"):
            raise self._fail("[dates] format must be a strptime layout such as %d/%m/%Y")

    def _check_type(self, table: str, key: str, value: Any, expected: type) -> None:
        if expected is bool and not isinstance(value, bool):
            raise self._fail(f"[{table}] {key} must be true or false")
        if expected is str and not (isinstance(value, str) and value.strip()):
            raise self._fail(f"[{table}] {key} must be a non-empty string")
        if expected is list and not (
            isinstance(value, list)
            and value
            and all(isinstance(item, str) and item.strip() for item in value)
        ):
            raise self._fail(f"[{table}] {key} must be a list of column names")

    def check_header(self, reader: CsvReader) -> None:
        """Raise ImportFileError naming the mapping key whose column the file lacks."""
        named = list(self.column_of.items()) + [
            ("places", column) for column, _ in self.place_columns
        ]
        for key, column in named:
            if reader.missing([column]):
                raise self._fail(
                    f"[columns] {key} names the column '{column}', "
                    f"which {reader.path.name} does not have"
                )

    def value(self, row: dict, key: str) -> str:
        column = self.column_of.get(key)
        return (row.get(column) or "") if column else ""

    def classify(self, row: dict) -> tuple[str, str]:
        kind = self.fixed_kind
        if kind is None:
            kind = _kind_from(self.value(row, "kind"))
            if kind is None:
                text = clean_line(self.value(row, "kind"))
                reason = f"'{text}' is not a known kind" if text else "no kind"
                raise RowRejected(self.column_of["kind"], reason)
        track = self.fixed_track
        if track is None and "track" in self.column_of:
            text = clean_line(self.value(row, "track")).casefold()
            if text and text not in TRACKS:
                raise RowRejected(self.column_of["track"], f"'{text}' is not {' or '.join(TRACKS)}")
            track = text or None
        return track or track_of(kind), kind

    def parse(self, line: int, row: dict) -> EventRecord:
        warnings: Warnings = []
        external_id = self.external_id(row)
        track, kind = self.classify(row)
        column = self.column_of["occurred_at"]
        occurred_on, occurred_at = parse_datetime(row.get(column), self.date_format, column)
        precision = self.fixed_precision or ("exact" if occurred_at else "day")

        places = places_from(row, self.place_columns)
        latitude = longitude = None
        if "latitude" in self.column_of:
            latitude, longitude = parse_coordinates(
                row, self.column_of["latitude"], self.column_of["longitude"], warnings
            )

        title = clean_line(self.value(row, "title"))
        if len(title) > TITLE_MAX_LENGTH:
            warnings.append(
                (self.column_of["title"], f"longer than {TITLE_MAX_LENGTH} characters; shortened")
            )
            title = shorten(title)
        title = title or generated_title(kind, places)

        source_url = clean_line(self.value(row, "source_url"))
        if source_url and not source_url.lower().startswith(("http://", "https://")):
            warnings.append((self.column_of["source_url"], f"'{source_url}' is not a web address"))
            source_url = ""

        figures = []
        for metric in ("killed", "injured"):
            if metric in self.column_of:
                figure = estimate(row, metric, warnings, best=self.column_of[metric])
                if figure:
                    figures.append(figure)

        actors = [
            ActorRecord(name, "party")
            for name in (clean_line(part) for part in self.value(row, "actor").split(";"))
            if name
        ]
        return EventRecord(
            line=line,
            external_id=external_id,
            track=track,
            kind=kind,
            title=title,
            summary=clean_text(self.value(row, "summary")) or title,
            occurred_on=occurred_on,
            occurred_at=occurred_at,
            precision=precision,
            places=places,
            latitude=latitude,
            longitude=longitude,
            coordinate_precision="near" if latitude is not None else "",
            actors=actors,
            figures=figures,
            source_url=source_url,
            raw=row,
            warnings=warnings,
        )


FORMATS: dict[str, type[EventFormat]] = {
    AcledFormat.name: AcledFormat,
    UcdpGedFormat.name: UcdpGedFormat,
    MappedCsvFormat.name: MappedCsvFormat,
}


def event_format(name: str, mapping: str | Path | None = None) -> EventFormat:
    """The parser for `--format NAME` (and `--mapping FILE` with csv)."""
    if name == MappedCsvFormat.name:
        if mapping is None:
            raise ImportFileError("The csv format needs a mapping file (--mapping MAPPING.toml).")
        return MappedCsvFormat.from_toml(mapping)
    if name not in FORMATS:
        raise ImportFileError(f"'{name}' is not a format; use one of {', '.join(FORMATS)}.")
    if mapping is not None:
        raise ImportFileError(f"A mapping file goes with the csv format only, not with {name}.")
    return FORMATS[name]()
