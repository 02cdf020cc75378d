"""The CSV exports in ACLED's and UCDP GED's own layouts: every row reads with those
datasets' types, and Parallax reads its own export back."""

import csv
import datetime as dt
import io
import typing
from pathlib import Path

import pytest
from acled.models.data_models import AcledEvent
from django.core.management import call_command
from django.utils import timezone

from timeline.importing.formats import UcdpGedFormat
from timeline.models import Dataset, Entry, EntryActor, Figure, Place, PlaceTree

from . import factories

pytestmark = pytest.mark.django_db

ACLED_URL = "/api/v1/export/entries.csv"
UCDP_URL = "/api/v1/export/entries-ucdp.csv"
SEED = "geneva-talks-kyiv-strikes"

# ACLED's codebook, column by column: the type a reader gets, and whether a cell may be
# empty (Optional). Written from the codebook; the test below holds it to ACLED's own model.
ACLED_CODEBOOK = {
    "event_id_cnty": str,
    "event_date": dt.date,
    "year": int,
    "time_precision": int,
    "disorder_type": str,
    "event_type": str,
    "sub_event_type": str,
    "actor1": str,
    "assoc_actor_1": typing.Optional[str],  # noqa: UP045 (compared with ACLED's hints)
    "inter1": int,
    "actor2": typing.Optional[str],  # noqa: UP045
    "assoc_actor_2": typing.Optional[str],  # noqa: UP045
    "inter2": typing.Optional[int],  # noqa: UP045
    "interaction": int,
    "civilian_targeting": typing.Optional[str],  # noqa: UP045
    "iso": int,
    "region": str,
    "country": str,
    "admin1": typing.Optional[str],  # noqa: UP045
    "admin2": typing.Optional[str],  # noqa: UP045
    "admin3": typing.Optional[str],  # noqa: UP045
    "location": str,
    "latitude": float,
    "longitude": float,
    "geo_precision": int,
    "source": str,
    "source_scale": str,
    "notes": str,
    "fatalities": int,
    "tags": typing.Optional[str],  # noqa: UP045
    "timestamp": dt.datetime,
}
ACLED_CODES = {
    "time_precision": {1, 2, 3},
    "geo_precision": {1, 2, 3},
    "inter1": set(range(0, 9)),
    "inter2": set(range(0, 9)),
    "disorder_type": {"Political violence", "Demonstrations", "Strategic developments"},
}


def read_cell(kind, text):
    """A CSV cell as a typed reader reads it; raises ValueError if it cannot."""
    optional = typing.get_origin(kind) is typing.Union
    if optional:
        if text == "":
            return None
        kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
    if kind is str:
        return text
    if kind is int:
        return int(text)
    if kind is float:
        return float(text)
    if kind is dt.date:
        return dt.date.fromisoformat(text)
    if kind is dt.datetime:
        return dt.datetime.fromtimestamp(int(text), tz=dt.UTC)
    raise AssertionError(f"no reader for {kind}")


def assert_valid_acled_row(row):
    for column, kind in ACLED_CODEBOOK.items():
        try:
            value = read_cell(kind, row[column])
        except ValueError as error:
            raise AssertionError(f"{row['event_id_cnty']}: {column}={row[column]!r}") from error
        if column in ACLED_CODES and value is not None:
            assert value in ACLED_CODES[column], (column, value)
    assert row["event_type"] and row["sub_event_type"] and row["country"] and row["location"]
    assert -90 <= float(row["latitude"]) <= 90 and -180 <= float(row["longitude"]) <= 180


def download_rows(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return text, list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def seed(db):
    call_command("loaddata", SEED, verbosity=0)


def test_the_codebook_check_agrees_with_acleds_own_event_model():
    assert typing.get_type_hints(AcledEvent) == ACLED_CODEBOOK
    assert list(typing.get_type_hints(AcledEvent)) == list(ACLED_CODEBOOK)


def test_every_row_of_the_seed_story_reads_with_acleds_types(client, seed):
    text, rows = download_rows(client, ACLED_URL)
    header = next(csv.reader(io.StringIO(text)))
    assert header[:31] == list(ACLED_CODEBOOK)
    located = Entry.objects.published().filter(places__isnull=False).distinct().count()
    assert len(rows) == located > 0
    for row in rows:
        assert_valid_acled_row(row)


def test_acled_codes_say_what_the_entry_says(client, seed):
    _, rows = download_rows(client, ACLED_URL)
    taganrog = next(row for row in rows if row["location"] == "Taganrog")
    assert taganrog["event_type"] == "Explosions/Remote violence"
    assert taganrog["disorder_type"] == "Political violence"
    assert (taganrog["country"], taganrog["iso"], taganrog["region"]) == ("Russia", "643", "Europe")
    assert taganrog["admin1"] == "Rostov region"
    assert taganrog["fatalities"] == "3"
    assert taganrog["geo_precision"] == "1"  # the city's own coordinates
    assert taganrog["inter1"] == "1"  # Ukraine's armed forces: state forces
    talks = next(row for row in rows if row["location"] == "Geneva")
    assert (talks["event_type"], talks["sub_event_type"]) == ("Strategic developments", "Other")
    assert talks["time_precision"] == "2"  # a weekend of talks
    assert (talks["country"], talks["iso"]) == ("Switzerland", "756")


def test_notes_are_the_summary_and_the_time_note_has_its_own_column(client, seed):
    _, rows = download_rows(client, ACLED_URL)
    for row in rows:
        entry = Entry.objects.get(slug=row["slug"])
        assert row["notes"] == entry.summary
        assert row["time_note"] == entry.time_note
        assert "Time:" not in row["notes"]


def test_event_ids_are_stable_plx_numbers_or_the_imported_id(client):
    kyiv = factories.PlaceFactory(name="Kyiv", latitude=50.45, longitude=30.52)
    own = factories.EntryFactory(places=[kyiv])
    ucdp = Dataset.objects.create(name="UCDP GED", redistributable=True, licence="CC BY 4.0")
    imported = factories.EntryFactory(places=[kyiv], dataset=ucdp, external_id="536411")
    _, first = download_rows(client, ACLED_URL)
    own.summary = "Edited later."
    own.save()
    _, second = download_rows(client, ACLED_URL)
    ids = {row["slug"]: row["event_id_cnty"] for row in first}
    assert ids == {own.slug: f"PLX{own.pk}", imported.slug: "536411"}
    assert {row["slug"]: row["event_id_cnty"] for row in second} == ids
    stamps = {row["slug"]: int(row["timestamp"]) for row in second}
    own.refresh_from_db()
    assert stamps[own.slug] == int(own.updated_at.timestamp())


def test_a_dataset_that_forbids_redistribution_stays_out_of_both_layouts(client):
    kyiv = factories.PlaceFactory(name="Kyiv", latitude=50.45, longitude=30.52)
    acled = Dataset.objects.create(name="ACLED", redistributable=False)
    factories.EntryFactory(places=[kyiv], dataset=acled, external_id="UKR1", slug="acled-row")
    factories.EntryFactory(places=[kyiv], slug="our-row")
    for url in (ACLED_URL, UCDP_URL):
        _, rows = download_rows(client, url)
        assert [row["slug"] for row in rows] == ["our-row"]


def test_the_ucdp_layout_holds_only_what_armies_did(client, seed):
    _, rows = download_rows(client, UCDP_URL)
    assert rows and {row["track"] for row in rows} == {"military"}


def test_the_ucdp_layout_has_geds_columns_and_types(client, seed):
    text, rows = download_rows(client, UCDP_URL)
    header = next(csv.reader(io.StringIO(text)))
    assert header[: len(UcdpGedFormat.columns)] == list(UcdpGedFormat.columns)
    integers = [
        "year",
        "type_of_violence",
        "where_prec",
        "date_prec",
        "deaths_a",
        "deaths_b",
        "deaths_civilians",
        "deaths_unknown",
        "best",
        "high",
        "low",
        "number_of_sources",
    ]
    for row in rows:
        for column in integers:
            int(row[column])
        assert 1 <= int(row["date_prec"]) <= 5
        assert 1 <= int(row["where_prec"]) <= 7
        assert int(row["low"]) <= int(row["best"]) <= int(row["high"])
        assert dt.date.fromisoformat(row["date_start"]) <= dt.date.fromisoformat(row["date_end"])
        float(row["latitude"]), float(row["longitude"])
    kyiv = next(row for row in rows if row["where_coordinates"] == "Dniprovskyi district")
    assert (kyiv["adm_1"], kyiv["country"], kyiv["region"]) == ("Kyiv", "Ukraine", "Europe")
    assert (kyiv["date_prec"], kyiv["where_prec"]) == ("1", "2")


def test_ucdp_deaths_by_side_and_the_range_come_from_the_figures(client):
    kyiv = factories.PlaceFactory(name="Kyiv", latitude=50.45, longitude=30.52)
    entry = factories.EntryFactory(places=[kyiv], kind="state_based_violence")
    russia = factories.ActorFactory(name="Government of Russia")
    ukraine = factories.ActorFactory(name="Government of Ukraine")
    EntryActor.objects.create(entry=entry, actor=russia, role="initiator")
    EntryActor.objects.create(entry=entry, actor=ukraine, role="target")
    factories.FigureFactory(entry=entry, scope=kyiv, metric="killed", low=3, best=5, high=9)
    factories.FigureFactory(entry=entry, scope=kyiv, metric="killed", best=2, breakdown="civilians")
    _, [row] = download_rows(client, UCDP_URL)
    assert (row["side_a"], row["side_b"]) == ("Government of Russia", "Government of Ukraine")
    assert row["dyad_name"] == "Government of Russia - Government of Ukraine"
    assert (row["low"], row["best"], row["high"]) == ("3", "5", "9")
    assert (row["deaths_civilians"], row["deaths_unknown"]) == ("2", "3")
    assert row["type_of_violence"] == "1"


def import_back(path, layout):
    """Empty the timeline, as a fresh database would be, then import the file."""
    Figure.objects.all().delete()
    Entry.objects.all().delete()
    for depth in sorted(set(Place.objects.values_list("depth", flat=True)), reverse=True):
        Place.objects.filter(depth=depth).delete()
    call_command("import_events", str(path), format=layout, verbosity=0)


DAY_PRECISE = {"exact", "part_of_day", "day"}


def military_facts(entries):
    """Date, most precise place, killed (counted once) and whether the day is known."""
    return sorted(
        (
            timezone.localtime(entry.occurred_at).date(),
            entry.places.order_by("-depth").first().name,
            sum(figure.best for figure in entry.figures_counted_once("killed", PlaceTree())),
            entry.precision in DAY_PRECISE,
        )
        for entry in entries
    )


@pytest.mark.parametrize(("url", "layout"), [(ACLED_URL, "acled"), (UCDP_URL, "ucdp")])
def test_parallax_reads_its_own_export_back(client, seed, tmp_path, url, layout):
    kyiv = Place.objects.get(slug="kyiv")
    week = factories.EntryFactory(
        places=[kyiv], precision="week", occurred_at=timezone.make_aware(dt.datetime(2025, 11, 3))
    )
    factories.FigureFactory(entry=week, scope=kyiv, metric="killed", best=4)
    military = Entry.objects.published().filter(track="military", places__isnull=False).distinct()
    if layout == "acled":
        # ACLED codes interceptions as "Disrupted weapons use", which the import skips.
        military = military.exclude(kind="interception_report")
    expected = military_facts(military.with_related())
    text, _ = download_rows(client, url)
    path = Path(tmp_path) / f"parallax-{layout}.csv"
    path.write_text(text, encoding="utf-8")

    import_back(path, layout)

    back = military_facts(Entry.objects.filter(track="military").with_related())
    day_precise = {"exact", "part_of_day", "day"}
    assert [(d, place, killed) for d, _, place, killed in back] == [
        (d, place, killed) for d, _, place, killed in expected
    ]
    assert [p in day_precise for _, p, _, _ in back] == [
        p in day_precise for _, p, _, _ in expected
    ]
