"""manage.py import_events against the database: what the committed samples become.

The samples are in tests/data/import/ (their quirks are listed in test_import_reading.py);
each test imports copies from a temporary directory, so reports never land in the tree.
"""

import contextlib
import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from timeline import rollup, services
from timeline.importing import KINDS, EventFile, ImportFileError, event_format
from timeline.importing import writer as import_writer
from timeline.models import (
    ENTRY_KINDS_BY_TRACK,
    Actor,
    Dataset,
    DayCount,
    Entry,
    Figure,
    FilterDayCount,
    ImportRun,
    Place,
    PlaceAlias,
    Side,
    StaleDay,
)
from timeline.search import search_entries

from . import factories

DATA = Path(__file__).parent / "data" / "import"

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tmp_path):
    for path in DATA.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.fixture
def kyiv(db):
    """The seed's Kyiv, known by the names the datasets give it."""
    ukraine = factories.PlaceFactory(name="Ukraine", slug="ukraine", kind=Place.Kind.COUNTRY)
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv", kind=Place.Kind.CITY, parent=ukraine)
    for alias in ("Kyiv City", "Kiev", "Kiev city"):
        PlaceAlias.objects.create(place=kyiv, name=alias)
    return kyiv


def import_events(path, *args, **options):
    out = io.StringIO()
    call_command("import_events", str(path), *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def acled(data, name="acled-ukraine.csv", **options):
    return import_events(data / name, format="acled", **options)


def entry(external_id):
    return Entry.objects.get(external_id=external_id)


def report_rows(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


# --- Kinds -------------------------------------------------------------------------------


def test_every_kind_the_readers_give_is_an_entry_kind_of_its_track():
    assert set(KINDS) == set(Entry.Kind.values)
    assert set(KINDS) == set().union(*ENTRY_KINDS_BY_TRACK.values())
    assert set(KINDS.values()) == set(Entry.Kind.labels)


# --- ACLED --------------------------------------------------------------------------------


def test_acled_import_counts_every_row_once(data):
    output = acled(data)
    assert "Rows read: 17" in output
    assert "Entries created: 11" in output
    assert "Rows skipped: 3" in output
    assert "  event type Protests: 1" in output
    assert "Rows rejected: 2" in output
    assert "Rows repeated (the last one kept): 1" in output
    assert Entry.objects.filter(dataset__name="ACLED").count() == 11
    assert set(Entry.objects.values_list("status", flat=True)) == {Entry.Status.PUBLISHED}
    run = ImportRun.objects.get()
    assert run.outcome == ImportRun.Outcome.APPLIED
    assert run.counts["created"] == 11
    assert run.counts["skipped"]["event type Protests"] == 1
    assert len(run.file_sha256) == 64


def test_skipped_counts_are_written_with_thousands_separators(data, tmp_path):
    header = (data / "acled-ukraine.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    protest = next(
        line
        for line in (data / "acled-ukraine.csv").read_text(encoding="utf-8-sig").splitlines()
        if line.startswith("UKR200009")
    )
    lines = [header] + [protest.replace("UKR200009", f"P{n}") for n in range(1200)]
    path = tmp_path / "protests.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "  event type Protests: 1,200" in acled(tmp_path, "protests.csv")


def test_rejected_and_repeated_rows_are_in_the_report_with_their_lines(data):
    output = acled(data)
    report = data / "acled-ukraine.csv.report.csv"
    assert f"Report: {report}" in output
    rows = report_rows(report)
    assert {key: rows[1][key] for key in ("line", "external_id", "column", "reason")} == {
        "line": "14",
        "external_id": "",
        "column": "event_id_cnty",
        "reason": "no id",
    }
    by_line = {row["line"]: row for row in rows}
    assert by_line["15"]["external_id"] == "UKR200012"
    assert by_line["15"]["column"] == "event_date"
    assert by_line["15"]["outcome"] == "rejected"
    assert by_line["7"]["outcome"] == "repeated"
    assert by_line["16"]["outcome"] == "warning"


def test_acled_fatalities_are_a_killed_figure_on_the_most_precise_place(data):
    acled(data)
    figure = Figure.objects.get(entry=entry("UKR200001"))
    assert (figure.metric, figure.best, figure.breakdown) == ("killed", 2, "")
    assert figure.scope.name == "Kharkiv"
    assert figure.scope.kind == Place.Kind.CITY
    assert figure.source.publisher == "ACLED"
    assert Figure.objects.get(entry=entry("UKR200003")).best == 0


def test_acled_precisions_become_the_entry_precisions(data):
    acled(data)
    assert entry("UKR200001").precision == "day"
    assert entry("UKR200003").precision == "week"
    assert entry("UKR200001").coordinate_precision == "city"
    assert entry("UKR200004").coordinate_precision == "near"
    assert entry("UKR200006").coordinate_precision == "region"
    assert timezone.localdate(entry("UKR200003").occurred_at).isoformat() == "2025-11-24"


def test_a_month_precise_event_starts_on_the_first_of_its_month():
    moment = import_writer.start_of_period(__import__("datetime").date(2025, 11, 15), "month")
    assert (moment.year, moment.month, moment.day, moment.hour) == (2025, 11, 1, 0)


def test_acled_places_nest_to_the_depth_of_the_data(data):
    acled(data)
    kharkiv = entry("UKR200001").places.get()
    names = [Place.objects.get(pk=pk).name for pk in kharkiv.ancestor_ids]
    assert names == ["Ukraine", "Kharkiv", "Kharkivskyi", "Kharkivska"]
    assert kharkiv.depth == 4
    region = Place.objects.get(name="Kharkiv", kind=Place.Kind.REGION)
    assert kharkiv in Place.objects.within(region)
    inside = Entry.objects.at_place(region)
    assert set(inside.values_list("external_id", flat=True)) >= {"UKR200001"}
    assert Place.objects.filter(name="Ukraine").count() == 1


def test_kyiv_city_kyiv_and_kiev_are_one_place(data, kyiv, tmp_path):
    acled(data)
    assert list(entry("UKR200002").places.all()) == [kyiv]
    assert list(entry("UKR200007").places.all()) == [kyiv]
    rows = list(csv.DictReader(io.StringIO((data / "acled-ukraine.csv").read_text("utf-8-sig"))))
    row = next(row for row in rows if row["event_id_cnty"] == "UKR200002")
    row.update(event_id_cnty="UKR300001", admin1="Kiev", admin2="", location="kiev  CITY")
    path = tmp_path / "kiev.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    acled(tmp_path, "kiev.csv")
    assert list(entry("UKR300001").places.all()) == [kyiv]
    assert not Place.objects.filter(name__in=["Kyiv City", "Kiev"]).exists()


def test_acled_actors_have_their_roles_and_sides(data):
    acled(data)
    roles = {
        (row.actor.name, row.role, row.actor.side_id, row.actor.kind)
        for row in entry("UKR200001").entry_actors.select_related("actor")
    }
    assert roles == {
        ("Military Forces of Russia (2000-)", "initiator", "russia", Actor.Kind.ARMED_FORCE),
        ("Civilians (Ukraine)", "target", Side.THIRD_PARTY, Actor.Kind.GROUP),
    }
    assert Actor.objects.get(name="Military Forces of Ukraine (2019-)").side_id == "ukraine"


def test_an_existing_actor_is_reused_by_alias(data):
    russian_forces = factories.ActorFactory(
        name="Russian armed forces", aliases="Russian forces\nmilitary forces of russia (2000-)"
    )
    output = acled(data)
    assert not Actor.objects.filter(name="Military Forces of Russia (2000-)").exists()
    assert entry("UKR200001").actors.filter(pk=russian_forces.pk).exists()
    assert "Military Forces of Russia" not in output.split("New actors:")[1]


def test_the_summary_lists_new_places_and_actors(data):
    output = acled(data)
    assert "New actors: 9" in output
    assert "Ukrenergo" in output
    assert "Pokrovsk" in output


# --- Keeping in step --------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(data):
    acled(data)
    history = Entry.history.count(), Figure.history.count()
    output = acled(data)
    assert "Entries created: 0" in output
    assert "Entries updated: 0" in output
    assert "Entries unchanged: 11" in output
    assert (Entry.history.count(), Figure.history.count()) == history
    assert Figure.objects.count() == 10


def test_a_re_release_revises_a_figure_and_keeps_the_old_one(data):
    acled(data)
    output = acled(data, "acled-ukraine-release2.csv")
    assert "Entries updated: 1" in output
    assert "Entries created: 0" in output
    kyiv_strike = entry("UKR200002")
    figures = sorted(kyiv_strike.figures.all(), key=Figure.revision_order_key)
    assert [figure.best for figure in figures] == [6, 7]
    assert [figure.best for figure in kyiv_strike.current_figures()] == [7]
    run = ImportRun.objects.order_by("-id").first()
    reason = f"Import run {run.pk}: acled-ukraine-release2.csv"
    assert Figure.history.get(id=figures[1].pk).history_change_reason == reason
    assert kyiv_strike.history.first().history_change_reason == reason
    assert kyiv_strike.raw_row["fatalities"] == "7"


def test_a_release_with_new_and_known_events_in_one_batch_links_each_to_its_place(data):
    acled(data)
    places_before = dict(Entry.places.through.objects.values_list("entry__external_id", "place"))
    release = data / "acled-ukraine-release2.csv"
    with release.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    # A new event first, in an oblast that no known event is in.
    new = dict(rows[0], event_id_cnty="UKR300001", admin1="Chernivtsi", admin2="Vyzhnytskyi")
    new.update(admin3="", location="Vyzhnytsia", latitude="48.2500", longitude="25.1900")
    with release.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([new, *rows])
    output = acled(data, "acled-ukraine-release2.csv")
    assert "Entries created: 1" in output
    assert "Entries updated: 1" in output
    assert list(entry("UKR300001").places.values_list("name", flat=True)) == ["Vyzhnytsia"]
    places_after = dict(Entry.places.through.objects.values_list("entry__external_id", "place"))
    assert places_after == places_before | {"UKR300001": entry("UKR300001").places.get().pk}


def test_a_withdrawn_event_is_unpublished_with_the_reason_and_kept(data):
    acled(data)
    output = acled(data, "acled-ukraine-release2.csv", withdrawn=str(data / "acled-deleted.csv"))
    assert "Entries withdrawn: 1" in output
    withdrawn = entry("UKR200013")
    assert withdrawn.status == Entry.Status.DRAFT
    run = ImportRun.objects.order_by("-id").first()
    assert withdrawn.history.first().history_change_reason == (
        f"Withdrawn by ACLED on 2025-11-29 (import run {run.pk})"
    )
    unknown = list(report_rows(data / "acled-ukraine-release2.csv.report.csv"))
    assert any(r["external_id"] == "UKR199999" for r in unknown)


def test_editors_own_entries_are_never_touched(data):
    own = factories.EntryFactory(title="Editors' strike", external_id="UKR200013")
    before = Entry.objects.values().get(pk=own.pk)
    acled(data)
    acled(data, "acled-ukraine-release2.csv", withdrawn=str(data / "acled-deleted.csv"))
    assert Entry.objects.values().get(pk=own.pk) == before


def test_import_status_review_leaves_new_entries_for_a_publisher(data):
    acled(data, status="review")
    assert set(Entry.objects.values_list("status", flat=True)) == {Entry.Status.REVIEW}


# --- Whole or nothing ----------------------------------------------------------------------


def test_an_exception_halfway_leaves_nothing_from_the_file(data, monkeypatch):
    original = import_writer._Writer._create
    calls = []

    def fail_on_the_second_batch(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, *args)

    monkeypatch.setattr(import_writer._Writer, "_create", fail_on_the_second_batch)
    events = EventFile(data / "acled-ukraine.csv", event_format("acled"))
    with pytest.raises(RuntimeError):
        import_writer.events_import(events=events, batch_size=3)
    assert len(calls) == 2
    assert not Entry.objects.exists()
    assert not Place.objects.exists()
    assert not Figure.objects.exists()
    assert not Actor.objects.exists()
    run = ImportRun.objects.get()
    assert run.outcome == ImportRun.Outcome.FAILED
    assert "disk full" in run.message


def test_search_stays_in_step_after_a_failed_import(data, monkeypatch):
    def fail(self, *args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_writer._Writer, "_create", fail)
    events = EventFile(data / "acled-ukraine.csv", event_format("acled"))
    with pytest.raises(RuntimeError):
        import_writer.events_import(events=events)
    # The import's suspension of the index's triggers was rolled back with the rest.
    factories.EntryFactory(title="Quarry shelled", slug="quarry-shelled")
    assert search_entries(Entry.objects.all(), "quarry").get().slug == "quarry-shelled"


def indexes():
    with connection.cursor() as cursor:
        return {
            model._meta.db_table: connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
            for model in import_writer.BULK_LOADED_MODELS
        }


def test_a_first_import_leaves_every_index_as_it_was_whether_it_succeeds_or_fails(
    data, monkeypatch
):
    set_aside = []
    original = import_writer._Writer._set_indexes_aside

    def spy(self, rows):
        original(self, rows)
        set_aside.append(len(self.indexes_set_aside))

    monkeypatch.setattr(import_writer._Writer, "_set_indexes_aside", spy)
    before = indexes()
    with monkeypatch.context() as failing:
        failing.setattr(import_writer._Writer, "_create", lambda self, *args: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            import_writer.events_import(
                events=EventFile(data / "acled-ukraine.csv", event_format("acled"))
            )
    assert indexes() == before
    acled(data)
    assert indexes() == before
    if connection.vendor == "sqlite":  # PostgreSQL keeps its indexes: dropping one locks
        assert set_aside[0] > 5 and set_aside[1] > 5
    assert Entry.objects.count() == 11


def test_the_day_roll_up_counts_imported_entries_as_a_fresh_computation_does(data):
    acled(data)
    first = timezone.localdate(Entry.objects.earliest("occurred_at").occurred_at)
    last = timezone.localdate(Entry.objects.latest("occurred_at").occurred_at)
    rollup.refresh_stale_days()
    after_import = DayCount.objects.daily(first, last)
    assert sum(entries for entries, _ in after_import.values()) == Entry.objects.count()

    def per_filter():
        return sorted(
            FilterDayCount.objects.values_list("filter", "value", "day", "track", "kind", "entries")
        )

    filters_after_import = per_filter()
    assert {row[0] for row in filters_after_import} >= {"place", "actor"}
    rollup.rollup_rebuild()
    assert DayCount.objects.daily(first, last) == after_import
    assert per_filter() == filters_after_import
    # The roll-up's triggers are back after the import: a new entry marks its day stale.
    StaleDay.objects.all().delete()
    factories.EntryFactory()
    assert StaleDay.objects.exists()


def snapshot():
    return (
        sorted(
            Entry.objects.values_list(
                "external_id", "title", "slug", "kind", "occurred_at", "precision", "raw_row"
            )
        ),
        sorted(Figure.objects.values_list("entry__external_id", "metric", "best", "scope__name")),
        sorted(Place.objects.values_list("name", "slug", "depth", "latitude", "longitude")),
        sorted(Entry.places.through.objects.values_list("entry__external_id", "place__name")),
        sorted(Entry.actors.through.objects.values_list("entry__external_id", "actor__name")),
        Entry.history.count(),
        Figure.history.count(),
        sorted(search_entries(Entry.objects.all(), "Pokrovsk").values_list("external_id")),
    )


def test_parsing_in_a_second_process_imports_the_same(data):
    results = []
    for background in (True, False):
        with contextlib.suppress(RuntimeError), transaction.atomic():
            events = EventFile(data / "acled-ukraine.csv", event_format("acled"))
            result = import_writer.events_import(events=events, background=background, batch_size=4)
            results.append((result.as_counts(), snapshot()))
            raise RuntimeError("roll back, to import again")
    (counts, imported), (counts_here, imported_here) = results
    assert counts == counts_here
    assert counts["created"] == 11
    assert imported == imported_here
    assert imported[-1] == [("UKR200003",)]


def test_a_background_read_error_is_raised_in_the_writer(data):
    path = data / "acled-ukraine.csv"
    events = EventFile(path, event_format("acled"))
    with path.open("a", encoding="utf-8") as file:  # an unbalanced quote past the limit
        file.write('UKR1,"never closed\n' + "x" * 2_000_000)
    with pytest.raises(ImportFileError, match="not valid CSV from line"):
        import_writer.events_import(events=events, background=True)
    assert not Entry.objects.exists()


def test_a_dry_run_writes_nothing_but_its_record(data):
    output = acled(data, dry_run=True)
    assert "Dry run, nothing written" in output
    assert "Entries created: 11" in output
    assert not Entry.objects.exists()
    assert not Place.objects.exists()
    run = ImportRun.objects.get()
    assert run.outcome == ImportRun.Outcome.DRY_RUN
    assert run.counts["created"] == 11


# --- Files that cannot be applied, and files in other shapes -------------------------------


def test_a_file_missing_a_column_is_refused_naming_it(data):
    with pytest.raises(CommandError, match="lacks the columns event_date, fatalities"):
        acled(data, "acled-missing-column.csv")
    assert not Entry.objects.exists()


def test_a_wrong_format_is_refused(data):
    with pytest.raises(CommandError, match="lacks the columns"):
        import_events(data / "acled-ukraine.csv", format="ucdp")


def test_a_windows_1252_file_is_imported_and_the_summary_says_so(data):
    output = acled(data, "acled-ukraine-cp1252.csv")
    assert "it was read as Windows-1252" in output
    assert ImportRun.objects.get().encoding == "cp1252"


def test_a_gzipped_ucdp_file_imports_with_deaths_by_side(data):
    output = import_events(data / "ucdp-ged-ukraine.csv.gz", format="ucdp")
    assert "Entries created: 7" in output
    figures = {figure.breakdown: figure for figure in entry("540002").figures.all()}
    assert figures[""].best == 8
    assert figures["side A: Government of Russia (Soviet Union)"].best == 3
    assert figures["side B: Government of Ukraine"].best == 5
    government = Actor.objects.get(name="Government of Ukraine")
    assert government.side_id == "ukraine"
    assert Dataset.objects.get(name="UCDP GED").redistributable


def test_a_mapped_csv_imports_with_its_dataset_and_links(data):
    output = import_events(data / "monitor.csv", format="csv", mapping=str(data / "monitor.toml"))
    assert "Entries created: 3" in output
    ternopil = entry("CIV0001")
    assert ternopil.dataset.attribution == "Centre for Information Resilience"
    assert ternopil.kind == "drone_strike"
    urls = set(ternopil.sources.values_list("url", flat=True))
    assert "https://monitor.example.org/events/CIV0001" in urls


# --- Licences ---------------------------------------------------------------------------------


@pytest.fixture
def both(data):
    acled(data)
    import_events(data / "ucdp-ged-ukraine.csv.gz", format="ucdp")


def test_acled_rows_stay_out_of_the_exports_and_ucdp_rows_go_with_attribution(client, both):
    acled_title = entry("UKR200001").title
    ucdp = entry("540001")
    csv_text = b"".join(client.get("/api/v1/export/entries.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert {row["slug"] for row in rows} == set(
        Entry.objects.filter(dataset__name="UCDP GED", status="published").values_list(
            "slug", flat=True
        )
    )
    assert rows[0]["attribution"].startswith("Uppsala Conflict Data Program")
    assert acled_title not in csv_text

    geojson = json.loads(b"".join(client.get("/api/v1/export/entries.geojson").streaming_content))
    slugs = {feature["properties"]["slug"] for feature in geojson["features"]}
    assert ucdp.slug in slugs
    assert not slugs & set(
        Entry.objects.filter(dataset__name="ACLED").values_list("slug", flat=True)
    )

    timeline = json.loads(b"".join(client.get("/api/v1/export/timelinejs.json").streaming_content))
    ids = {event["unique_id"] for event in timeline["events"]}
    assert ucdp.slug in ids
    assert entry("UKR200001").slug not in ids


def test_the_api_gives_acled_entries_without_their_raw_row(client, both):
    acled_entry = client.get(f"/api/v1/entries/{entry('UKR200001').slug}/").json()
    assert acled_entry["raw_row"] is None
    assert acled_entry["external_id"] == "UKR200001"
    assert acled_entry["dataset"]["name"] == "ACLED"
    assert acled_entry["dataset"]["attribution"].startswith("Armed Conflict Location")
    ucdp_entry = client.get(f"/api/v1/entries/{entry('540001').slug}/").json()
    assert ucdp_entry["raw_row"]["relid"] == "UKR-2022-1-540001"
    assert ucdp_entry["dataset"]["licence"] == "CC BY 4.0"


def test_an_imported_entry_page_credits_its_dataset(client, both):
    response = client.get(entry("UKR200001").get_absolute_url())
    text = response.content.decode()
    assert "Data: " in text
    assert "Armed Conflict Location &amp; Event Data (ACLED)" in text
    assert "ACLED Terms of Use" in text
    assert "event UKR200001" in text


# --- Merging strays -----------------------------------------------------------------------


def test_merging_a_stray_place_moves_its_entries_and_figures_and_keeps_its_name(data, kyiv):
    acled(data)
    stray = Place.objects.get(name="Odesa", kind=Place.Kind.REGION)
    keep = factories.PlaceFactory(name="Odesa region", kind=Place.Kind.REGION, parent=kyiv.parent)
    inside = list(Place.objects.within(stray).exclude(pk=stray.pk))
    moved = Entry.objects.at_place(stray).count()
    assert moved and inside
    services.place_merge(keep=keep, merge=[stray], user=None)
    assert not Place.objects.filter(pk=stray.pk).exists()
    assert Entry.objects.at_place(keep).count() == moved
    assert set(keep.aliases.values_list("name", flat=True)) == {"Odesa"}
    assert all(
        place.path.startswith(keep.path)
        for place in Place.objects.filter(pk__in=[p.pk for p in inside])
    )
    acled(data)
    assert not Place.objects.filter(name="Odesa", kind=Place.Kind.REGION).exists()


def test_merging_a_stray_actor_moves_its_roles_and_keeps_its_name(data):
    acled(data)
    keep = factories.ActorFactory(name="Russian armed forces", side_id="russia")
    stray = Actor.objects.get(name="Military Forces of Russia (2000-)")
    roles = stray.entry_roles.count()
    services.actor_merge(keep=keep, merge=[stray], user=None)
    keep.refresh_from_db()
    assert keep.entry_roles.count() == roles
    assert "Military Forces of Russia (2000-)" in keep.alias_list
    assert Actor.history.filter(id=keep.pk).first().history_change_reason.startswith("Merged actor")
    output = acled(data)
    assert "Entries unchanged: 11" in output


def test_the_admin_merges_the_places_an_editor_picks(admin_client, data):
    acled(data)
    one = Place.objects.get(name="Kyiv City")
    other = factories.PlaceFactory(name="Kyiv", kind=Place.Kind.CITY, parent=one.parent)
    url = "/admin/timeline/place/"
    picked = {"action": "merge", "_selected_action": [one.pk, other.pk]}
    response = admin_client.post(url, picked)
    assert "Pick the one to keep" in response.content.decode()
    response = admin_client.post(url, {**picked, "keep": other.pk}, follow=True)
    assert "Merged 1 places into “Kyiv”" in response.content.decode()
    assert list(entry("UKR200002").places.all()) == [other]


def test_import_runs_are_read_only_in_the_admin(admin_client, data):
    acled(data)
    run = ImportRun.objects.get()
    assert admin_client.get("/admin/timeline/importrun/").status_code == 200
    page = admin_client.get(f"/admin/timeline/importrun/{run.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    dataset = admin_client.get(f"/admin/timeline/dataset/{run.dataset.pk}/change/")
    assert "acled-ukraine.csv" in dataset.content.decode()


def test_imported_entries_are_found_by_search_with_their_places_and_actors(data):
    acled(data)
    found = search_entries(Entry.objects.all(), "Pokrovsk")
    assert set(found.values_list("external_id", flat=True)) == {"UKR200003"}
    found = search_entries(Entry.objects.all(), "Ukrenergo")
    assert "UKR200004" in set(found.values_list("external_id", flat=True))
