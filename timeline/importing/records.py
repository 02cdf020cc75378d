"""The neutral form of one imported event, shared by every file format.

Parsers turn a CSV row into an `EventRecord`; the writer turns records into database rows.
Nothing here touches Django, so the formats can be read and tested without a database, and
the writer is the only code that knows the models.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

MILITARY = "military"
DIPLOMACY = "diplomacy"
TRACKS = (MILITARY, DIPLOMACY)

# Every kind an import can give an entry, with Entry.Kind's labels. The first block is what
# editors use (a column-mapped CSV may name any of them); the rest come from the datasets'
# own typologies (ACLED sub-event types, UCDP types of violence).
KINDS: dict[str, str] = {
    "talks": "Talks",
    "statement": "Statement",
    "proposal": "Proposal",
    "agreement": "Agreement",
    "missile_strike": "Missile strike",
    "drone_strike": "Drone strike",
    "combined_strike": "Combined missile and drone strike",
    "infrastructure_strike": "Strike on infrastructure",
    "cross_border_strike": "Cross-border strike",
    "interception_report": "Interception report",
    "ceasefire": "Ceasefire",
    "air_or_drone_strike": "Air or drone strike",
    "shelling_artillery_missile": "Shelling, artillery or missile attack",
    "remote_explosive": "Remote explosive, landmine or IED",
    "grenade": "Grenade",
    "suicide_bomb": "Suicide bomb",
    "chemical_weapon": "Chemical weapon",
    "armed_clash": "Armed clash",
    "territory_change": "Territory taken or retaken",
    "attack_on_civilians": "Attack on civilians",
    "sexual_violence": "Sexual violence",
    "abduction": "Abduction or forced disappearance",
    "state_based_violence": "State-based armed conflict",
    "non_state_violence": "Non-state conflict",
    "one_sided_violence": "One-sided violence against civilians",
}

DIPLOMACY_KINDS = frozenset({"talks", "statement", "proposal", "agreement", "ceasefire"})
MILITARY_KINDS = frozenset(KINDS) - DIPLOMACY_KINDS

# Shorter words for generated titles, where the label would read awkwardly ("Shelling in
# Kharkiv" rather than "Shelling, artillery or missile attack in Kharkiv").
TITLE_WORDS: dict[str, str] = {
    "shelling_artillery_missile": "Shelling",
    "remote_explosive": "Explosive device",
    "grenade": "Grenade attack",
    "suicide_bomb": "Suicide bombing",
    "chemical_weapon": "Chemical weapon attack",
    "territory_change": "Territory changes hands",
    "state_based_violence": "Armed conflict",
    "one_sided_violence": "One-sided violence",
}

PRECISIONS = ("exact", "part_of_day", "day", "several_days", "week", "month", "year")
COORDINATE_PRECISIONS = ("exact", "near", "city", "region")
ROLES = ("initiator", "target", "party")
PLACE_LEVELS = ("country", "admin1", "admin2", "admin3", "location")

TITLE_MAX_LENGTH = 200
EXTERNAL_ID_MAX_LENGTH = 100


def track_of(kind: str) -> str:
    return DIPLOMACY if kind in DIPLOMACY_KINDS else MILITARY


@dataclass(frozen=True)
class DatasetInfo:
    """Who publishes a dataset and on what terms. `redistributable` says whether its raw rows
    may leave Parallax (exports, the API's raw values); when unsure, it is False."""

    name: str
    licence: str = ""
    licence_url: str = ""
    attribution: str = ""
    redistributable: bool = False


class PlaceRecord(NamedTuple):
    """One level of where it happened; `level` is one of PLACE_LEVELS."""

    name: str
    level: str


class ActorRecord(NamedTuple):
    """Who took part, and how; `actor_type` is the dataset's own category when it has one
    (ACLED's inter codes, e.g. "State forces"), empty otherwise."""

    name: str
    role: str
    actor_type: str = ""


@dataclass(frozen=True)
class FigureRecord:
    """A number the dataset reports about the event.

    `breakdown` tells apart figures of the same metric within one event (UCDP gives a total
    and deaths per side): "" for the total, otherwise "side_a", "side_b", "civilians" or
    "unknown". A revision of a figure is the same (metric, breakdown) in a later release.
    """

    metric: str
    best: int
    low: int | None = None
    high: int | None = None
    note: str = ""
    breakdown: str = ""


@dataclass
class EventRecord:
    """One event as a dataset gives it, in Parallax's vocabulary.

    `occurred_on` is always set; `occurred_at` too when the file gives a time of day (then in
    UTC, and `occurred_on` is its date). `places` run largest first. Coordinates belong to the
    last, most precise place. `raw` is the row exactly as read, for provenance.
    """

    line: int
    external_id: str
    track: str
    kind: str
    title: str
    summary: str
    occurred_on: datetime.date
    precision: str
    occurred_at: datetime.datetime | None = None
    ended_on: datetime.date | None = None
    places: list[PlaceRecord] = field(default_factory=list)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coordinate_precision: str = ""
    actors: list[ActorRecord] = field(default_factory=list)
    figures: list[FigureRecord] = field(default_factory=list)
    source_text: str = ""
    source_url: str = ""
    raw: dict[str, str] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def __reduce__(self):
        # Records cross from a parsing process to the writer by the hundred thousand
        # (events.py): pickled as flat tuples, they cost a fraction of what rebuilding
        # each dataclass and NamedTuple field by field does.
        return (
            _event_record,
            (
                self.line,
                self.external_id,
                self.track,
                self.kind,
                self.title,
                self.summary,
                self.occurred_on,
                self.precision,
                self.occurred_at,
                self.ended_on,
                tuple(map(tuple, self.places)),
                None if self.latitude is None else str(self.latitude),
                None if self.longitude is None else str(self.longitude),
                self.coordinate_precision,
                tuple(map(tuple, self.actors)),
                tuple((f.metric, f.best, f.low, f.high, f.note, f.breakdown) for f in self.figures),
                self.source_text,
                self.source_url,
                self.raw,
                self.warnings,
            ),
        )


def _event_record(
    line,
    external_id,
    track,
    kind,
    title,
    summary,
    occurred_on,
    precision,
    occurred_at,
    ended_on,
    places,
    latitude,
    longitude,
    coordinate_precision,
    actors,
    figures,
    source_text,
    source_url,
    raw,
    warnings,
):
    return EventRecord(
        line,
        external_id,
        track,
        kind,
        title,
        summary,
        occurred_on,
        precision,
        occurred_at,
        ended_on,
        [PlaceRecord._make(place) for place in places],
        None if latitude is None else Decimal(latitude),
        None if longitude is None else Decimal(longitude),
        coordinate_precision,
        [ActorRecord._make(actor) for actor in actors],
        [FigureRecord(*figure) for figure in figures],
        source_text,
        source_url,
        raw,
        warnings,
    )


class RowRejected(Exception):
    """The row cannot become an event; the report names the column and the reason."""

    def __init__(self, column: str, reason: str):
        super().__init__(f"{column}: {reason}" if column else reason)
        self.column = column
        self.reason = reason


class RowSkipped(Exception):
    """The row is a valid record of something Parallax does not track (a protest).

    `reason` is counted as it is, so it reads as a category: "event type Protests".
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BLANKS = re.compile(r"\s+")


def clean_line(value: str) -> str:
    """One line of text: control characters (NUL included) gone, white space collapsed."""
    if value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()
    value = unicodedata.normalize("NFC", value)
    return _BLANKS.sub(" ", _CONTROL.sub("", value.replace("\t", " "))).strip()


def clean_text(value: str) -> str:
    """Running text: control characters gone, line breaks kept, blank runs cut to one."""
    if value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()  # one clean line (a line break is not printable)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(clean_line(line) for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def shorten(value: str, limit: int = TITLE_MAX_LENGTH) -> str:
    """Cut at a word boundary and mark the cut, so a long title still fits its column."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def place_phrase(places: list[PlaceRecord]) -> str:
    """The most precise place, with its region when that adds something: "Izium, Kharkiv"."""
    if not places:
        return ""
    last = places[-1].name
    region = next((p.name for p in places[:-1] if p.level == "admin1"), "")
    if region and not region.casefold().startswith(last.casefold()):
        return f"{last}, {region}"
    return last


def generated_title(kind: str, places: list[PlaceRecord]) -> str:
    words = TITLE_WORDS.get(kind, KINDS.get(kind, kind))
    where = place_phrase(places)
    return shorten(f"{words} in {where}" if where else words)
