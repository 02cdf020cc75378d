"""Entries in the layouts conflict-data tools read as they are: ACLED's 31 columns and UCDP
GED's 49, in their order and with their types, then Parallax's own columns after them.

The column lists are the importer's (timeline.importing.formats), so what Parallax writes it
reads back. Sources: ACLED Codebook (2024), UCDP GED Codebook version 25.1.
"""

import json
from functools import lru_cache

import pycountry
from django.utils import timezone

from timeline.importing.formats import AcledFormat, UcdpGedFormat
from timeline.models import Entry, EntryActor, Figure, Place, PlaceTree, Precision

ACLED_COLUMNS = AcledFormat.columns
UCDP_COLUMNS = UcdpGedFormat.columns
PARALLAX_COLUMNS = (
    "track",
    "kind",
    "slug",
    "url",
    "time_note",
    "dataset",
    "attribution",
    "figures_json",
)

POLITICAL_VIOLENCE = "Political violence"
STRATEGIC = "Strategic developments"
REMOTE = "Explosions/Remote violence"
BATTLES = "Battles"
CIVILIANS = "Violence against civilians"
K = Entry.Kind
# (disorder type, event type, sub-event type) as ACLED's codebook names them.
ACLED_TYPES = {
    K.MISSILE_STRIKE: (POLITICAL_VIOLENCE, REMOTE, "Shelling/artillery/missile attack"),
    K.INFRASTRUCTURE_STRIKE: (POLITICAL_VIOLENCE, REMOTE, "Shelling/artillery/missile attack"),
    K.SHELLING_ARTILLERY_MISSILE: (POLITICAL_VIOLENCE, REMOTE, "Shelling/artillery/missile attack"),
    K.DRONE_STRIKE: (POLITICAL_VIOLENCE, REMOTE, "Air/drone strike"),
    K.COMBINED_STRIKE: (POLITICAL_VIOLENCE, REMOTE, "Air/drone strike"),
    K.CROSS_BORDER_STRIKE: (POLITICAL_VIOLENCE, REMOTE, "Air/drone strike"),
    K.AIR_OR_DRONE_STRIKE: (POLITICAL_VIOLENCE, REMOTE, "Air/drone strike"),
    K.REMOTE_EXPLOSIVE: (POLITICAL_VIOLENCE, REMOTE, "Remote explosive/landmine/IED"),
    K.GRENADE: (POLITICAL_VIOLENCE, REMOTE, "Grenade"),
    K.SUICIDE_BOMB: (POLITICAL_VIOLENCE, REMOTE, "Suicide bomb"),
    K.CHEMICAL_WEAPON: (POLITICAL_VIOLENCE, REMOTE, "Chemical weapon"),
    K.ARMED_CLASH: (POLITICAL_VIOLENCE, BATTLES, "Armed clash"),
    K.STATE_BASED_VIOLENCE: (POLITICAL_VIOLENCE, BATTLES, "Armed clash"),
    K.NON_STATE_VIOLENCE: (POLITICAL_VIOLENCE, BATTLES, "Armed clash"),
    K.TERRITORY_CHANGE: (POLITICAL_VIOLENCE, BATTLES, "Government regains territory"),
    K.ATTACK_ON_CIVILIANS: (POLITICAL_VIOLENCE, CIVILIANS, "Attack"),
    K.ONE_SIDED_VIOLENCE: (POLITICAL_VIOLENCE, CIVILIANS, "Attack"),
    K.SEXUAL_VIOLENCE: (POLITICAL_VIOLENCE, CIVILIANS, "Sexual violence"),
    K.ABDUCTION: (POLITICAL_VIOLENCE, CIVILIANS, "Abduction/forced disappearance"),
    # ACLED codes interceptions as strategic developments, "Disrupted weapons use".
    K.INTERCEPTION_REPORT: (STRATEGIC, STRATEGIC, "Disrupted weapons use"),
    K.AGREEMENT: (STRATEGIC, STRATEGIC, "Agreement"),
    K.CEASEFIRE: (STRATEGIC, STRATEGIC, "Agreement"),
    K.TALKS: (STRATEGIC, STRATEGIC, "Other"),
    K.STATEMENT: (STRATEGIC, STRATEGIC, "Other"),
    K.PROPOSAL: (STRATEGIC, STRATEGIC, "Other"),
}
TARGETS_CIVILIANS = {K.ATTACK_ON_CIVILIANS, K.ONE_SIDED_VIOLENCE, K.SEXUAL_VIOLENCE, K.ABDUCTION}

# ACLED's time_precision: 1 the day, 2 within a week or so, 3 only the month.
ACLED_TIME_PRECISION = {
    Precision.EXACT: 1,
    Precision.PART_OF_DAY: 1,
    Precision.DAY: 1,
    Precision.SEVERAL_DAYS: 2,
    Precision.WEEK: 2,
    Precision.MONTH: 3,
    Precision.YEAR: 3,
}
# UCDP's date_prec: 1 the day, 2 two to six days, 3 the week, 4 the month, 5 the year.
UCDP_DATE_PRECISION = {
    Precision.EXACT: 1,
    Precision.PART_OF_DAY: 1,
    Precision.DAY: 1,
    Precision.SEVERAL_DAYS: 2,
    Precision.WEEK: 3,
    Precision.MONTH: 4,
    Precision.YEAR: 5,
}
# ACLED's geo_precision: 1 the town, 2 near it or a part of a region, 3 the region.
ACLED_GEO_PRECISION = {"exact": 1, "city": 1, "near": 2, "region": 3}
# UCDP's where_prec: 1 exact place, 2 within 25 km, 4 first-order region, 6 the country.
UCDP_WHERE_PRECISION = {"exact": 1, "city": 1, "near": 2, "region": 4}

# ACLED's inter codes by Actor.Kind: 1 state forces, 3 political militias, 7 civilians,
# 8 external or other forces (international organisations, the media).
STATE_KINDS = {"state", "government_body", "official", "armed_force", "local_authority"}
INTER_CODES = {"international_organisation": 8, "media": 8, "group": 7}

# ACLED's regions by ISO 3166 alpha-2 code; UCDP's five regions follow from them.
ACLED_REGIONS = {
    "Europe": "AD AL AT BA BE BG BY CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU "
    "LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SK SM UA VA XK",
    "Caucasus and Central Asia": "AM AZ GE KG KZ TJ TM UZ",
    "Middle East": "AE BH IL IQ IR JO KW LB OM PS QA SA SY TR YE",
    "Northern Africa": "DZ EG LY MA SD TN",
    "Western Africa": "BF BJ CI CV GH GM GN GW LR ML MR NE NG SL SN TG",
    "Middle Africa": "AO CF CG CD CM GA GQ ST TD",
    "Eastern Africa": "BI DJ ER ET KE KM MG MU MW MZ RW SC SO SS TZ UG ZM ZW",
    "Southern Africa": "BW LS NA SZ ZA",
    "South Asia": "AF BD BT IN LK MV NP PK",
    "Southeast Asia": "BN ID KH LA MM MY PH SG TH TL VN",
    "East Asia": "CN HK JP KP KR MN TW",
    "Oceania": "AU FJ NZ PG SB VU",
    "North America": "CA US",
    "Central America": "BZ CR GT HN MX NI PA SV",
    "Caribbean": "CU DO HT JM TT",
    "South America": "AR BO BR CL CO EC GY PE PY SR UY VE",
}
REGION_OF_COUNTRY = {
    code: region for region, codes in ACLED_REGIONS.items() for code in codes.split()
}
UCDP_REGIONS = {
    "Europe": "Europe",
    "Middle East": "Middle East",
    "Caucasus and Central Asia": "Asia",
    "South Asia": "Asia",
    "Southeast Asia": "Asia",
    "East Asia": "Asia",
    "Oceania": "Asia",
    "North America": "Americas",
    "Central America": "Americas",
    "Caribbean": "Americas",
    "South America": "Americas",
}
# Names ACLED uses that ISO spells otherwise; Kosovo has no ISO number (ACLED writes 0).
COUNTRY_NAMES = {
    "russia": "RU",
    "palestine": "PS",
    "turkey": "TR",
    "kosovo": "XK",
    "syria": "SY",
    "iran": "IR",
    "north korea": "KP",
    "south korea": "KR",
    "democratic republic of congo": "CD",
    "republic of congo": "CG",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "vietnam": "VN",
    "laos": "LA",
    "moldova": "MD",
    "taiwan": "TW",
}


@lru_cache(maxsize=512)
def country_codes(name):
    """(ISO 3166 numeric, alpha-2) for a country's name, or (None, "") when unknown."""
    key = " ".join(name.split()).casefold()
    alpha_2 = COUNTRY_NAMES.get(key)
    if alpha_2 == "XK":
        return 0, "XK"
    try:
        country = pycountry.countries.lookup(alpha_2 or name)
    except LookupError:
        return None, ""
    return int(country.numeric), country.alpha_2


def parallax_id(entry):
    """ACLED's event_id_cnty: the dataset's own id for imported events, PLX + number else."""
    return entry.external_id if entry.dataset_id and entry.external_id else f"PLX{entry.pk}"


class PlaceChain(PlaceTree):
    """Every place's ancestry and coordinates, read in one query for a whole export."""

    def __init__(self):  # the rows PlaceTree reads, with coordinates
        self.rows = {
            row["id"]: row
            for row in Place.objects.values(
                "id", "parent_id", "kind", "name", "latitude", "longitude", "coordinate_precision"
            )
        }

    def chain(self, place_id):
        """The place and its ancestors, the country first."""
        chain, seen = [], set()
        while place_id and place_id in self.rows and place_id not in seen:
            seen.add(place_id)
            chain.append(self.rows[place_id])
            place_id = self.rows[place_id]["parent_id"]
        return chain[::-1]


def most_precise_place(entry):
    """The deepest of the entry's places (Pechersk before Kyiv), those with coordinates first."""
    places = sorted(entry.places.all(), key=lambda p: (p.latitude is None, -p.depth, p.name, p.pk))
    return places[0] if places else None


class Located:
    """Where an entry happened, in the administrative levels both datasets use."""

    def __init__(self, entry, chains):
        place = most_precise_place(entry)
        chain = chains.chain(place.pk) if place else []
        self.country = chain[0]["name"] if chain and chain[0]["kind"] == "country" else ""
        by_kind = {}
        for row in chain[1:]:
            by_kind.setdefault(row["kind"], row["name"])
        self.admin1 = by_kind.get(Place.Kind.REGION, "")
        if not self.admin1 and len(chain) > 1 and chain[1]["kind"] == Place.Kind.CITY:
            # A capital outside any region is its own first-level unit (ACLED's "Kyiv City").
            self.admin1 = chain[1]["name"]
        self.admin2 = by_kind.get(Place.Kind.SUBREGION, "")
        self.admin3 = by_kind.get(Place.Kind.COMMUNITY, "")
        self.location = chain[-1]["name"] if chain else ""
        self.latitude = self.longitude = None
        self.coordinate_precision = ""
        for depth, row in enumerate(reversed(chain)):
            if row["latitude"] is not None:
                self.latitude, self.longitude = row["latitude"], row["longitude"]
                own = entry.coordinate_precision or row["coordinate_precision"] or "region"
                # Coordinates borrowed from a larger place say only where that place is.
                self.coordinate_precision = own if depth == 0 else "region"
                break
        self.iso, alpha_2 = country_codes(self.country) if self.country else (None, "")
        self.region = REGION_OF_COUNTRY.get(alpha_2, "")


def role_names(entry):
    rows = list(entry.entry_actors.all())

    def named(*roles):
        return [row.actor for row in rows if row.role in roles]

    Role = EntryActor.Role
    first = named(Role.INITIATOR) or named(Role.SPEAKER)
    targets = named(Role.TARGET)
    parties = [actor for actor in named(Role.PARTY, Role.MEDIATOR) if actor not in first]
    if not first and parties:
        first, parties = parties[:1], parties[1:]
    if not targets and parties:
        targets, parties = parties[:1], parties[1:]
    return first, targets, parties


def inter_code(actor):
    if actor is None:
        return 0
    if actor.kind in STATE_KINDS:
        return 1
    return INTER_CODES.get(actor.kind, 3)


def interaction(first, second):
    """ACLED's interaction: the two inter codes, lower first; a lone actor pairs with 0."""
    if not first:
        return 0
    if not second:
        return first * 10
    low, high = sorted((first, second))
    return low * 10 + high


def source_names(entry):
    names = []
    for source in entry.sources.all():
        name = source.publisher or source.title
        if name not in names:
            names.append(name)
    return "; ".join(names)


def killed_figures(entry, chains):
    """The current killed figures that count everyone once (see Entry.figures_counted_once)."""
    return entry.figures_counted_once(Figure.Metric.KILLED, chains)


def figures_json(entry):
    return json.dumps(
        [
            {
                "metric": figure.metric,
                "scope": figure.scope_name,
                "breakdown": figure.breakdown,
                "low": figure.low,
                "best": figure.best,
                "high": figure.high,
                "qualifier": figure.qualifier,
                "as_of": figure.as_of.isoformat(),
                "reported_by": figure.reported_by.name if figure.reported_by else None,
            }
            for figure in entry.current_figures()
        ],
        ensure_ascii=False,
    )


def attribution(entry):
    dataset = entry.dataset
    if dataset is None:
        return ""
    credit = dataset.attribution or dataset.name
    return f"{credit} ({dataset.licence})" if dataset.licence else credit


def parallax_columns(entry, page_url):
    return {
        "track": entry.track,
        "kind": entry.kind,
        "slug": entry.slug,
        "url": page_url,
        "time_note": entry.time_note,
        "dataset": entry.dataset.name if entry.dataset_id else "",
        "attribution": attribution(entry),
        "figures_json": figures_json(entry),
    }


def number(value):
    return "" if value is None else value


def acled_row(entry, chains, *, page_url):
    """One entry as ACLED's codebook lays an event out, then Parallax's columns."""
    disorder, event_type, sub_event_type = ACLED_TYPES.get(
        entry.kind, (STRATEGIC, STRATEGIC, "Other")
    )
    first, targets, parties = role_names(entry)
    actor1 = first[0] if first else None
    actor2 = targets[0] if targets else None
    inter1, inter2 = inter_code(actor1), inter_code(actor2) if actor2 else None
    located = Located(entry, chains)
    civilians = entry.kind in TARGETS_CIVILIANS or (actor2 is not None and inter2 == 7)
    occurred = timezone.localtime(entry.occurred_at)
    row = {
        "event_id_cnty": parallax_id(entry),
        "event_date": occurred.date().isoformat(),
        "year": occurred.year,
        "time_precision": ACLED_TIME_PRECISION[entry.precision],
        "disorder_type": disorder,
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "actor1": actor1.name if actor1 else "",
        "assoc_actor_1": "; ".join(actor.name for actor in first[1:]),
        "inter1": inter1,
        "actor2": actor2.name if actor2 else "",
        "assoc_actor_2": "; ".join(actor.name for actor in targets[1:] + parties),
        "inter2": number(inter2),
        "interaction": interaction(inter1, inter2),
        "civilian_targeting": "Civilian targeting" if civilians else "",
        "iso": number(located.iso),
        "region": located.region,
        "country": located.country,
        "admin1": located.admin1,
        "admin2": located.admin2,
        "admin3": located.admin3,
        "location": located.location,
        "latitude": number(located.latitude),
        "longitude": number(located.longitude),
        "geo_precision": ACLED_GEO_PRECISION.get(located.coordinate_precision, 3),
        "source": source_names(entry),
        "source_scale": "",
        "notes": entry.summary,
        "fatalities": sum(figure.best for figure in killed_figures(entry, chains)),
        "tags": "",
        "timestamp": int(entry.updated_at.timestamp()),
    }
    return row | parallax_columns(entry, page_url)


UCDP_VIOLENCE_TYPES = {
    K.NON_STATE_VIOLENCE: 2,
    K.ONE_SIDED_VIOLENCE: 3,
    K.ATTACK_ON_CIVILIANS: 3,
    K.SEXUAL_VIOLENCE: 3,
    K.ABDUCTION: 3,
}


def ucdp_deaths(entry, chains):
    """best, low, high and the deaths by side, from the current killed figures."""
    totals = killed_figures(entry, chains)
    best = sum(figure.best for figure in totals)
    low = sum(figure.best if figure.low is None else figure.low for figure in totals)
    high = sum(figure.best if figure.high is None else figure.high for figure in totals)
    parts = {"a": 0, "b": 0, "civilians": 0, "unknown": 0}
    for figure in entry.current_figures():
        if figure.metric != Figure.Metric.KILLED or not figure.breakdown:
            continue
        label = figure.breakdown.casefold()
        if label.startswith("side a"):
            parts["a"] += figure.best
        elif label.startswith("side b"):
            parts["b"] += figure.best
        elif "civilian" in label:
            parts["civilians"] += figure.best
        else:
            parts["unknown"] += figure.best
    parts["unknown"] += max(best - sum(parts.values()), 0)
    return best, low, high, parts


def ucdp_row(entry, chains, *, page_url):
    """One entry as UCDP GED lays an event out, then Parallax's columns."""
    first, targets, parties = role_names(entry)
    side_a = first[0].name if first else ""
    side_b = targets[0].name if targets else (parties[0].name if parties else "")
    located = Located(entry, chains)
    best, low, high, deaths = ucdp_deaths(entry, chains)
    start = timezone.localtime(entry.occurred_at).date()
    end = timezone.localtime(entry.ended_at).date() if entry.ended_at else start
    where = located.coordinate_precision
    row = dict.fromkeys(UCDP_COLUMNS, "")
    row.update(
        {
            "id": parallax_id(entry),
            "relid": parallax_id(entry),
            "year": start.year,
            "type_of_violence": UCDP_VIOLENCE_TYPES.get(entry.kind, 1),
            "conflict_name": "",
            "dyad_name": " - ".join(name for name in (side_a, side_b) if name),
            "side_a": side_a,
            "side_b": side_b,
            "number_of_sources": len(entry.sources.all()),
            "source_article": source_names(entry),
            "source_original": source_names(entry),
            "where_prec": UCDP_WHERE_PRECISION.get(where, 6) if located.latitude else 7,
            "where_coordinates": located.location,
            "where_description": located.location,
            "adm_1": located.admin1,
            "adm_2": located.admin2,
            "latitude": number(located.latitude),
            "longitude": number(located.longitude),
            "geom_wkt": (
                f"POINT ({located.longitude} {located.latitude})" if located.latitude else ""
            ),
            "country": located.country,
            "region": UCDP_REGIONS.get(located.region, "Africa" if located.region else ""),
            "date_prec": UCDP_DATE_PRECISION[entry.precision],
            "date_start": start.isoformat(),
            "date_end": end.isoformat(),
            "deaths_a": deaths["a"],
            "deaths_b": deaths["b"],
            "deaths_civilians": deaths["civilians"],
            "deaths_unknown": deaths["unknown"],
            "best": best,
            "high": high,
            "low": low,
        }
    )
    return row | parallax_columns(entry, page_url)
