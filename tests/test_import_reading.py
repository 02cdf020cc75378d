"""Reading dataset files into records, without a database: encodings, gzip, line numbers,
the three formats' rules, and the shared repairs (figures, coordinates, repeated ids)."""

import datetime as dt
import gzip
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from timeline.importing import (
    AcledFormat,
    DuplicateRow,
    EventFile,
    EventRecord,
    FigureRecord,
    MappedCsvFormat,
    RejectedRow,
    RowRejected,
    RowSkipped,
    SkippedRow,
    UcdpGedFormat,
    WithdrawnRow,
    event_format,
    read_withdrawn,
    reading,
)
from timeline.importing.reading import CsvReader, ImportFileError
from timeline.importing.records import KINDS, PlaceRecord, clean_text, shorten
from timeline.importing.values import parse_count, parse_datetime

DATA = Path(__file__).parent / "data" / "import"


def write(path: Path, content: bytes | str) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


# Reading files


def test_rows_carry_the_line_they_start_on_even_after_a_multi_line_field(tmp_path):
    path = write(tmp_path / "lines.csv", 'id,notes\n1,"two\nlines"\n\n2,one line\n3,"x"\n')
    rows = list(CsvReader(path))
    assert [(line, row["id"]) for line, row in rows] == [(2, "1"), (5, "2"), (6, "3")]
    assert rows[0][1]["notes"] == "two\nlines"


def test_byte_order_mark_is_not_part_of_the_first_column_name():
    reader = CsvReader(DATA / "acled-ukraine.csv")
    assert reader.bom is True
    assert reader.encoding == "utf-8"
    assert reader.header[0] == "event_id_cnty"


def test_file_with_a_byte_that_is_not_utf8_is_read_as_windows_1252():
    reader = CsvReader(DATA / "acled-ukraine-cp1252.csv")
    assert reader.encoding == "cp1252"
    notes = [row["notes"] for _, row in reader]
    assert "the Café Rynok" in notes[0]
    assert "the mayor’s office" in notes[0]
    assert "Sumy – one person" in notes[1]


def test_crlf_line_ends_count_as_one_line_each():
    reader = CsvReader(DATA / "acled-ukraine-cp1252.csv")
    assert [line for line, _ in reader] == [2, 3]


def test_the_whole_file_is_checked_for_utf8_not_only_its_start(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "CHUNK_SIZE", 4)
    clean = "id,name\n" + "1,Kyiv\n" * 50
    assert CsvReader(write(tmp_path / "clean.csv", clean + "2,Café\n")).encoding == "utf-8"
    late = (clean + "2,Caf").encode() + b"\xe9\n"
    assert CsvReader(write(tmp_path / "late.csv", late)).encoding == "cp1252"


def test_utf8_characters_split_between_chunks_are_still_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "CHUNK_SIZE", 1)
    reader = CsvReader(write(tmp_path / "split.csv", "id,name\n1,Київ\n"))
    assert reader.encoding == "utf-8"
    assert [row["name"] for _, row in reader] == ["Київ"]


def test_bytes_windows_1252_leaves_undefined_are_read_not_refused(tmp_path):
    reader = CsvReader(write(tmp_path / "c1.csv", b"id,name\n1,a\x81b\xe9\n"))
    assert reader.encoding == "cp1252"
    assert [row["name"] for _, row in reader] == ["a\x81bé"]


def test_gzip_is_recognised_by_its_bytes_not_its_name(tmp_path):
    disguised = tmp_path / "ucdp.csv"
    shutil.copy(DATA / "ucdp-ged-ukraine.csv.gz", disguised)
    reader = CsvReader(disguised)
    assert reader.gzipped is True
    plain = CsvReader(DATA / "ucdp-ged-ukraine.csv")
    assert plain.gzipped is False
    assert list(reader) == list(plain)


def test_a_gzipped_file_with_a_bom_and_windows_1252_reads_like_the_plain_one(tmp_path):
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbfid,name\n1,Caf\xe9\n"))
    reader = CsvReader(path)
    assert (reader.gzipped, reader.bom, reader.encoding) == (True, True, "cp1252")
    assert reader.header == ["id", "name"]
    assert [row["name"] for _, row in reader] == ["Café"]


def test_a_truncated_gzip_file_is_a_clear_error(tmp_path):
    whole = (DATA / "ucdp-ged-ukraine.csv.gz").read_bytes()
    path = write(tmp_path / "cut.csv.gz", whole[: len(whole) // 2])
    with pytest.raises(ImportFileError, match="damaged or truncated gzip file"):
        CsvReader(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ImportFileError, match=r"^Cannot read .*nowhere.csv: no such file"):
        CsvReader(tmp_path / "nowhere.csv")


def test_an_empty_file_is_a_clear_error(tmp_path):
    with pytest.raises(ImportFileError, match="is empty"):
        CsvReader(write(tmp_path / "empty.csv", ""))


def test_a_file_of_blank_lines_has_no_header(tmp_path):
    with pytest.raises(ImportFileError, match="has no header row"):
        CsvReader(write(tmp_path / "blank.csv", "\n\n\n"))


def test_a_zip_archive_is_refused_with_advice(tmp_path):
    with pytest.raises(ImportFileError, match="ZIP archive .* extract the CSV file first"):
        CsvReader(write(tmp_path / "ged251-csv.zip", b"PK\x03\x04rest of archive"))


def test_a_utf16_file_is_refused_with_advice(tmp_path):
    path = write(tmp_path / "excel.csv", "id,name\n1,Kyiv\n".encode("utf-16"))
    with pytest.raises(ImportFileError, match="UTF-16; save it as UTF-8"):
        CsvReader(path)


def test_a_directory_is_not_a_file(tmp_path):
    with pytest.raises(ImportFileError, match="is a directory"):
        CsvReader(tmp_path)


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    with pytest.raises(ImportFileError, match="names the column notes twice"):
        CsvReader(write(tmp_path / "twice.csv", "id,notes,notes\n1,a,b\n"))


def test_an_unbalanced_quote_is_reported_with_its_line(tmp_path):
    path = write(tmp_path / "quote.csv", 'id,notes\n1,ok\n2,"never closed\n' + "x" * 2_000_000)
    with pytest.raises(ImportFileError, match="not valid CSV from line 3.*unbalanced quote"):
        list(CsvReader(path))


def test_rows_with_too_many_or_too_few_fields_follow_dict_reader(tmp_path):
    path = write(tmp_path / "ragged.csv", "a,b,c\n1,2,3,4\n1,2\n")
    rows = [row for _, row in CsvReader(path)]
    assert rows[0] == {"a": "1", "b": "2", "c": "3", None: ["4"]}
    assert rows[1] == {"a": "1", "b": "2", "c": None}


def test_missing_columns_are_all_named():
    reader = CsvReader(DATA / "acled-missing-column.csv")
    with pytest.raises(ImportFileError) as error:
        reader.require(["event_id_cnty", "event_date", "notes", "fatalities"], "an ACLED export")
    assert str(error.value) == (
        f"{reader.path} lacks the columns event_date, fatalities, which an ACLED export needs."
    )


# Shared rules for values


@pytest.mark.parametrize(
    ("text", "count"),
    [("12", 12), (" 12 ", 12), ("1,234", 1234), ("1,234,567", 1234567), ("12.0", 12), ("", None)],
)
def test_counts_read_as_people_write_them(text, count):
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "reason"),
    [("-3", "is negative"), ("1,5", "not a whole number"), ("12.5", "not a whole number")],
)
def test_counts_that_are_not_whole_and_positive_are_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_count(text)


def test_a_time_with_an_offset_is_converted_to_utc():
    day, moment = parse_datetime("25/11/2025 06:30 +0200", "%d/%m/%Y %H:%M %z", "date")
    assert moment == dt.datetime(2025, 11, 25, 4, 30, tzinfo=dt.UTC)
    assert day == dt.date(2025, 11, 25)


def test_a_time_without_an_offset_is_taken_as_utc():
    day, moment = parse_datetime("2025-11-25T01:15", None, "date")
    assert moment == dt.datetime(2025, 11, 25, 1, 15, tzinfo=dt.UTC)


def test_an_iso_date_alone_has_no_time():
    assert parse_datetime("2025-11-25", None, "date") == (dt.date(2025, 11, 25), None)


def test_running_text_loses_control_characters_but_keeps_its_paragraphs():
    assert clean_text(" First\x00 line\x07\r\n\r\n\r\n\tSecond  line ") == (
        "First line\n\nSecond line"
    )


def test_a_long_title_is_cut_at_a_word_and_marked():
    title = shorten("Strike " * 40)
    assert len(title) <= 200
    assert title.endswith("Strike…")


# ACLED


def acled_outcomes(name="acled-ukraine.csv"):
    return list(EventFile(DATA / name, AcledFormat()))


def acled_events(name="acled-ukraine.csv"):
    return {o.external_id: o for o in acled_outcomes(name) if isinstance(o, EventRecord)}


def acled_row(**values):
    row = dict.fromkeys(AcledFormat.columns, "")
    row.update(
        event_id_cnty="UKR1",
        event_date="2025-11-25",
        time_precision="1",
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        country="Ukraine",
        fatalities="0",
    )
    row.update(values)
    return row


def test_acled_dates_read_in_all_three_layouts():
    events = acled_events()
    assert events["UKR200001"].occurred_on == dt.date(2025, 11, 25)  # 2025-11-25
    assert events["UKR200002"].occurred_on == dt.date(2025, 11, 25)  # 25 November 2025
    assert events["UKR200003"].occurred_on == dt.date(2025, 11, 24)  # 24-Nov-25
    assert all(event.occurred_at is None for event in events.values())


def test_acled_excel_dates_of_the_last_century_keep_their_century():
    record = AcledFormat().parse(2, acled_row(event_date="15-Mar-97"))
    assert record.occurred_on == dt.date(1997, 3, 15)


def test_acled_time_precision_becomes_day_week_or_month():
    events = acled_events()
    assert events["UKR200001"].precision == "day"
    assert events["UKR200003"].precision == "week"
    assert AcledFormat().parse(2, acled_row(time_precision="3")).precision == "month"


def test_acled_geo_precision_becomes_the_coordinate_precision():
    events = acled_events()
    assert events["UKR200001"].coordinate_precision == "city"
    assert events["UKR200004"].coordinate_precision == "near"
    assert events["UKR200006"].coordinate_precision == "region"


def test_acled_event_types_become_tracks_and_kinds():
    kinds = {id: (event.track, event.kind) for id, event in acled_events().items()}
    assert kinds == {
        "UKR200001": ("military", "shelling_artillery_missile"),
        "UKR200002": ("military", "air_or_drone_strike"),
        "UKR200003": ("military", "armed_clash"),
        "UKR200004": ("military", "air_or_drone_strike"),
        "UKR200005": ("military", "attack_on_civilians"),
        "UKR200006": ("diplomacy", "agreement"),
        "UKR200007": ("diplomacy", "ceasefire"),
        "UKR200008": ("diplomacy", "talks"),
        "UKR200013": ("military", "air_or_drone_strike"),
        "UKR200014": ("military", "remote_explosive"),
        "UKR200015": ("military", "territory_change"),
    }
    assert {kind for _, kind in kinds.values()} <= set(KINDS)


def test_acled_protests_riots_and_other_strategic_developments_are_skipped_by_reason():
    skipped = [(o.line, o.reason) for o in acled_outcomes() if isinstance(o, SkippedRow)]
    assert skipped == [
        (11, "event type Protests"),
        (12, "event type Riots"),
        (13, "sub-event type Disrupted weapons use"),
    ]


def test_ceasefire_in_the_notes_of_a_battle_does_not_make_it_diplomacy():
    record = AcledFormat().parse(
        2, acled_row(event_type="Battles", sub_event_type="Armed clash", notes="Ceasefire broken.")
    )
    assert (record.track, record.kind) == ("military", "armed_clash")


def test_an_id_too_long_for_the_entry_is_rejected():
    with pytest.raises(RowRejected, match="longer than 100 characters"):
        AcledFormat().parse(2, acled_row(event_id_cnty="UKR" + "9" * 98))


def test_an_unknown_sub_event_type_of_a_military_event_is_skipped_by_name():
    with pytest.raises(RowSkipped, match="sub-event type Laser attack"):
        AcledFormat().parse(2, acled_row(sub_event_type="Laser attack"))


def test_acled_rows_without_id_or_with_a_bad_date_are_rejected_with_line_and_column():
    rejected = [
        (o.line, o.column, o.reason) for o in acled_outcomes() if isinstance(o, RejectedRow)
    ]
    assert rejected == [
        (14, "event_id_cnty", "no id"),
        (
            15,
            "event_date",
            "'Nov 25th 2025' is not a date in any of the layouts "
            "2025-11-25, 25 November 2025, 25-Nov-25",
        ),
    ]


def test_a_repeated_acled_id_keeps_the_last_row_and_reports_the_earlier():
    outcomes = acled_outcomes()
    duplicates = [o for o in outcomes if isinstance(o, DuplicateRow)]
    assert duplicates == [DuplicateRow(7, "UKR200005", "event_id_cnty", kept_line=17)]
    assert duplicates[0].reason == "the same id is on line 17, which is kept"
    kept = acled_events()["UKR200005"]
    assert (kept.line, kept.figures[0].best) == (17, 2)


def test_every_acled_row_has_exactly_one_outcome():
    events = EventFile(DATA / "acled-ukraine.csv", AcledFormat())
    outcomes = list(events)
    assert events.row_count == len(outcomes) == 17
    assert sorted(o.line for o in outcomes) == [2] + list(range(4, 20))


def test_out_of_range_coordinates_are_dropped_with_a_warning_and_the_place_kept():
    event = acled_events()["UKR200013"]
    assert (event.latitude, event.longitude, event.coordinate_precision) == (None, None, "")
    assert event.places[-1] == PlaceRecord("Chernihiv", "location")
    assert event.warnings == [
        ("latitude", "149.99 is outside ±90; coordinates left out, place kept")
    ]


@pytest.mark.parametrize(
    ("latitude", "longitude", "column", "message"),
    [
        ("50.45", "", "longitude", "one coordinate without the other"),
        ("fifty", "30.52", "latitude", "'fifty' is not a number"),
        ("NaN", "30.52", "latitude", "'NaN' is not a number"),
        ("50.45", "-190", "longitude", "-190 is outside ±180"),
    ],
)
def test_unusable_coordinates_are_dropped_with_a_warning(latitude, longitude, column, message):
    record = AcledFormat().parse(2, acled_row(latitude=latitude, longitude=longitude))
    assert record.latitude is None and record.longitude is None
    assert record.warnings[0][0] == column
    assert message in record.warnings[0][1]


def test_acled_places_run_largest_first_without_empty_or_repeated_levels():
    events = acled_events()
    assert events["UKR200002"].places == [
        PlaceRecord("Ukraine", "country"),
        PlaceRecord("Kyiv City", "admin1"),
        PlaceRecord("Kyiv", "location"),
    ]
    assert [p.name for p in events["UKR200001"].places] == [
        "Ukraine",
        "Kharkiv",
        "Kharkivskyi",
        "Kharkivska",
        "Kharkiv",
    ]


def test_acled_coordinates_are_decimals():
    event = acled_events()["UKR200002"]
    assert (event.latitude, event.longitude) == (Decimal("50.4501"), Decimal("30.5234"))


def test_acled_titles_are_generated_from_kind_and_place():
    events = acled_events()
    assert events["UKR200001"].title == "Shelling in Kharkiv"
    assert events["UKR200002"].title == "Air or drone strike in Kyiv"
    assert events["UKR200014"].title == "Explosive device in Huliaipole, Zaporizhia"


def test_acled_notes_are_the_summary_and_source_names_the_outlets():
    event = acled_events()["UKR200001"]
    assert event.summary == (
        "On 25 November 2025, Russian forces shelled the Saltivskyi district of Kharkiv city.\n"
        "Two civilians were killed and five injured."
    )
    assert event.source_text == "Kharkiv Regional Military Administration; Suspilne"
    assert event.raw["notes"].startswith("On 25 November 2025")


def test_acled_fatalities_are_one_killed_figure_and_zero_is_kept():
    events = acled_events()
    assert events["UKR200001"].figures == [FigureRecord("killed", best=2)]
    assert events["UKR200003"].figures == [FigureRecord("killed", best=0)]
    assert events["UKR200013"].figures == [FigureRecord("killed", best=3)]  # " 3 "


def test_a_fatality_count_that_is_not_a_number_loses_the_figure_not_the_row():
    event = acled_events()["UKR200015"]
    assert event.figures == []
    assert event.warnings == [
        ("fatalities", "'unknown' is not a whole number; the figure is left out")
    ]


def test_a_negative_fatality_count_is_a_warning():
    record = AcledFormat().parse(2, acled_row(fatalities="-2"))
    assert record.figures == []
    assert record.warnings == [("fatalities", "'-2' is negative; the figure is left out")]


def test_acled_actors_take_roles_from_the_event_type():
    events = acled_events()
    assert [(a.name, a.role, a.actor_type) for a in events["UKR200004"].actors] == [
        ("Military Forces of Russia (2000-)", "initiator", "State forces"),
        ("Civilians (Ukraine)", "target", "Civilians"),
        ("Labour Group (Ukraine)", "party", ""),
        ("Ukrenergo", "party", ""),
    ]
    assert {a.role for a in events["UKR200003"].actors} == {"party"}


def test_acled_numeric_inter_codes_are_named():
    event = acled_events()["UKR200005"]
    assert [a.actor_type for a in event.actors] == ["State forces", "Civilians"]


def test_acled_windows_1252_export_is_decoded_into_the_summary():
    events = EventFile(DATA / "acled-ukraine-cp1252.csv", AcledFormat())
    assert events.encoding == "cp1252"
    records = [o for o in events if isinstance(o, EventRecord)]
    assert "Café Rynok" in records[0].summary
    assert "the mayor’s office" in records[0].summary


def test_an_acled_re_release_differs_only_in_a_fatality_count_and_a_removed_row():
    first, second = acled_events(), acled_events("acled-ukraine-release2.csv")
    assert set(first) - set(second) == {"UKR200014"}
    changed = {id for id in second if second[id].figures != first[id].figures}
    assert changed == {"UKR200002"}
    assert second["UKR200002"].figures == [FigureRecord("killed", best=7)]


def test_an_acled_file_missing_columns_names_them_all():
    with pytest.raises(ImportFileError) as error:
        EventFile(DATA / "acled-missing-column.csv", AcledFormat())
    assert "lacks the columns event_date, fatalities, which an ACLED export needs" in str(
        error.value
    )


def test_rows_with_the_wrong_number_of_fields_are_rejected(tmp_path):
    header = ",".join(AcledFormat.columns)
    good = ",".join(acled_row().values())
    path = write(tmp_path / "ragged.csv", f"{header}\n{good},extra\n{good}\nUKR2,2025-11-25\n")
    outcomes = list(EventFile(path, AcledFormat()))
    assert [(o.line, o.reason) for o in outcomes if isinstance(o, RejectedRow)] == [
        (2, "the row has 32 fields where the header has 31"),
        (4, "the row has 2 fields where the header has 31"),
    ]
    assert isinstance(outcomes[1], EventRecord)


def test_acled_deleted_events_list_gives_ids_and_times():
    withdrawn = list(read_withdrawn(DATA / "acled-deleted.csv"))
    assert withdrawn == [
        WithdrawnRow(2, "UKR200013", dt.datetime(2025, 11, 29, tzinfo=dt.UTC)),
        WithdrawnRow(3, "UKR199999", dt.datetime(2025, 11, 29, tzinfo=dt.UTC)),
    ]


# UCDP GED


def ucdp_outcomes(name="ucdp-ged-ukraine.csv"):
    return list(EventFile(DATA / name, UcdpGedFormat()))


def ucdp_events(name="ucdp-ged-ukraine.csv"):
    return {o.external_id: o for o in ucdp_outcomes(name) if isinstance(o, EventRecord)}


def test_the_ucdp_sample_has_the_49_columns_in_the_release_order():
    header = CsvReader(DATA / "ucdp-ged-ukraine.csv").header
    assert tuple(header) == UcdpGedFormat.columns
    assert len(header) == 49


def test_ucdp_dates_read_in_iso_and_month_first_layouts():
    events = ucdp_events()
    assert events["540001"].occurred_on == dt.date(2022, 3, 1)  # 2022-03-01
    assert events["540002"].occurred_on == dt.date(2022, 3, 2)  # 3/2/2022 12:00:00 AM
    assert events["540003"].occurred_on == dt.date(2022, 3, 5)  # 2022-03-05 00:00:00.000
    assert events["540004"].occurred_on == dt.date(2022, 5, 2)  # 05/02/2022 00:00


def test_ucdp_date_precision_and_end():
    events = ucdp_events()
    assert (events["540001"].precision, events["540001"].ended_on) == ("day", None)
    assert (events["540002"].precision, events["540002"].ended_on) == (
        "several_days",
        dt.date(2022, 3, 4),
    )
    assert (events["540006"].precision, events["540006"].ended_on) == (
        "month",
        dt.date(2022, 4, 30),
    )
    assert (events["540007"].precision, events["540007"].ended_on) == (
        "year",
        dt.date(2022, 12, 31),
    )


def test_ucdp_where_precision_becomes_coordinate_precision():
    precisions = {id: event.coordinate_precision for id, event in ucdp_events().items()}
    assert precisions == {
        "540001": "exact",
        "540002": "near",
        "540003": "exact",
        "540004": "region",
        "540005": "region",
        "540006": "",
        "540007": "region",
    }


def test_ucdp_country_centroid_coordinates_are_left_out():
    event = ucdp_events()["540006"]
    assert (event.latitude, event.longitude) == (None, None)
    assert event.places == [PlaceRecord("Ukraine", "country")]
    assert event.warnings == []


def test_ucdp_places_name_the_location_only_when_it_is_precise():
    events = ucdp_events()
    assert events["540002"].places == [
        PlaceRecord("Ukraine", "country"),
        PlaceRecord("Kharkiv oblast", "admin1"),
        PlaceRecord("Iziumskyi raion", "admin2"),
        PlaceRecord("Izium", "location"),
    ]
    assert [p.name for p in events["540005"].places] == ["Ukraine", "Donetsk oblast"]
    assert events["540002"].title == "Armed conflict in Izium, Kharkiv oblast"


def test_ucdp_low_above_best_keeps_best_and_drops_low_with_a_warning():
    event = ucdp_events()["540003"]
    assert event.figures[0] == FigureRecord("killed", best=10, low=None, high=20)
    assert event.warnings == [("low", "low 15 is above best 10; low is left out")]


def test_ucdp_high_below_best_keeps_best_and_drops_high_with_a_warning():
    event = ucdp_events()["540004"]
    assert event.figures[0] == FigureRecord("killed", best=5, low=2, high=None)
    assert event.warnings == [("high", "high 4 is below best 5; high is left out")]


def test_ucdp_deaths_by_side_are_figures_of_their_own_where_not_zero():
    event = ucdp_events()["540002"]
    assert event.figures == [
        FigureRecord("killed", best=8, low=8, high=8),
        FigureRecord(
            "killed",
            best=3,
            note="Deaths on side A: Government of Russia (Soviet Union)",
            breakdown="side_a",
        ),
        FigureRecord(
            "killed", best=5, note="Deaths on side B: Government of Ukraine", breakdown="side_b"
        ),
    ]


def test_ucdp_sides_are_parties_except_in_one_sided_violence():
    events = ucdp_events()
    assert [(a.name, a.role) for a in events["540001"].actors] == [
        ("Government of Russia (Soviet Union)", "party"),
        ("Government of Ukraine", "party"),
    ]
    assert events["540005"].kind == "one_sided_violence"
    assert [(a.name, a.role) for a in events["540005"].actors] == [
        ("Government of Russia (Soviet Union)", "initiator"),
        ("Civilians", "target"),
    ]


def test_ucdp_summary_and_sources_come_from_its_descriptions():
    event = ucdp_events()["540001"]
    assert event.summary == (
        "Government of Russia (Soviet Union) - Government of Ukraine. "
        "Location: Freedom Square, Kharkiv. Headline: Shelling hits Kharkiv centre."
    )
    assert event.source_text.endswith("(original source: State Emergency Service of Ukraine)")


def test_ucdp_types_of_violence_become_kinds():
    row = dict.fromkeys(UcdpGedFormat.columns, "")
    row.update(id="1", date_start="2022-03-01", best="1")
    kinds = []
    for code in "123":
        kinds.append(UcdpGedFormat().parse(2, {**row, "type_of_violence": code}).kind)
    assert kinds == ["state_based_violence", "non_state_violence", "one_sided_violence"]
    with pytest.raises(RowRejected, match="'4' is not 1, 2 or 3"):
        UcdpGedFormat().parse(2, {**row, "type_of_violence": "4"})


def test_ucdp_impossible_date_is_rejected_naming_it():
    rejected = [o for o in ucdp_outcomes() if isinstance(o, RejectedRow)]
    assert rejected == [
        RejectedRow(9, "540008", "date_start", "'2022-02-30' is not a calendar date")
    ]


def test_the_gzipped_ucdp_file_gives_the_same_records():
    assert ucdp_outcomes("ucdp-ged-ukraine.csv.gz") == ucdp_outcomes()


# CSV with a mapping


def monitor_outcomes():
    return list(EventFile(DATA / "monitor.csv", event_format("csv", DATA / "monitor.toml")))


def test_the_mapping_in_the_issue_reads_the_monitor_file():
    mapping = MappedCsvFormat.from_toml(DATA / "monitor.toml")
    assert mapping.dataset.name == "Russia-Ukraine monitor"
    assert mapping.dataset.redistributable is True
    first = monitor_outcomes()[0]
    assert isinstance(first, EventRecord)
    assert (first.external_id, first.track, first.kind, first.precision) == (
        "CIV0001",
        "military",
        "drone_strike",
        "day",
    )
    assert first.occurred_on == dt.date(2025, 11, 25)
    assert first.title == "Drone strike on an apartment block in Ternopil"
    assert first.places == [
        PlaceRecord("Ukraine", "country"),
        PlaceRecord("Ternopil", "admin1"),
        PlaceRecord("Ternopilskyi", "admin2"),
        PlaceRecord("Ternopil", "location"),
    ]
    assert (first.latitude, first.longitude) == (Decimal("49.5535"), Decimal("25.5948"))
    assert first.figures == [FigureRecord("killed", best=3), FigureRecord("injured", best=12)]
    assert first.actors[0].name == "Russian Armed Forces"
    assert first.source_url == "https://monitor.example.org/events/CIV0001"


def test_mapped_dates_are_day_first_as_the_mapping_says():
    outcomes = monitor_outcomes()
    assert outcomes[1].occurred_on == dt.date(2025, 11, 24)
    assert outcomes[2] == RejectedRow(
        4, "CIV0003", "date", "'11/25/2025' is not a date in the layout %d/%m/%Y"
    )


def test_mapped_rows_without_an_id_are_rejected_naming_the_column():
    assert monitor_outcomes()[3] == RejectedRow(5, "", "entry", "no id")


def test_a_mapped_row_without_a_title_gets_one_from_kind_and_place():
    assert monitor_outcomes()[1].title == "Drone strike in Kharkiv"


def test_mapped_values_that_cannot_be_used_are_warnings():
    outcomes = monitor_outcomes()
    assert outcomes[1].warnings == [
        ("injured", "'n/a' is not a whole number; the figure is left out")
    ]
    assert outcomes[4].source_url == ""
    assert outcomes[4].warnings == [
        ("link", "'ftp://monitor.example.org/CIV0004' is not a web address")
    ]


MINIMAL = """
[dataset]
name = "Monitor"
[columns]
external_id = "entry"
occurred_at = "date"
[values]
kind = "drone_strike"
"""


def mapping_error(tmp_path, toml, csv_text="entry,date\n1,2025-11-25\n"):
    mapping = write(tmp_path / "mapping.toml", toml)
    with pytest.raises(ImportFileError) as error:
        EventFile(write(tmp_path / "events.csv", csv_text), MappedCsvFormat.from_toml(mapping))
    return str(error.value)


def test_a_minimal_mapping_needs_only_a_name_an_id_a_date_and_a_kind(tmp_path):
    path = write(tmp_path / "events.csv", "entry,date\n1,2025-11-25T06:30:00+02:00\n")
    mapping = MappedCsvFormat.from_toml(write(tmp_path / "mapping.toml", MINIMAL))
    [record] = list(EventFile(path, mapping))
    assert record.occurred_at == dt.datetime(2025, 11, 25, 4, 30, tzinfo=dt.UTC)
    assert record.precision == "exact"
    assert record.track == "military"
    assert record.title == record.summary == "Drone strike"
    assert mapping.dataset.redistributable is False


def test_a_mapping_key_that_is_not_known_is_named(tmp_path):
    message = mapping_error(tmp_path, MINIMAL.replace("[values]", 'brief = "x"\n[values]'))
    assert message == (
        "In the mapping mapping.toml, [columns] brief is not a known key (known: external_id, "
        "occurred_at, title, summary, latitude, longitude, places, source_url, killed, injured, "
        "actor, track, kind)."
    )


def test_a_mapping_table_that_is_not_known_is_named(tmp_path):
    assert "[source] is not a known table" in mapping_error(tmp_path, MINIMAL + "[source]\nx=1\n")


def test_a_mapping_without_a_required_key_names_it(tmp_path):
    message = mapping_error(tmp_path, MINIMAL.replace('occurred_at = "date"', ""))
    assert message == "In the mapping mapping.toml, [columns] occurred_at is required."
    assert "[dataset] name is required" in mapping_error(
        tmp_path, MINIMAL.replace('name = "Monitor"', "")
    )


def test_a_mapped_column_missing_from_the_file_names_the_key_and_the_column(tmp_path):
    message = mapping_error(tmp_path, MINIMAL.replace("[values]", 'summary = "notes"\n[values]'))
    assert message == (
        "In the mapping mapping.toml, [columns] summary names the column 'notes', "
        "which events.csv does not have."
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('kind = "drone_strike"', 'kind = "parade"'),
            "[values] kind 'parade' is not a known kind",
        ),
        (('kind = "drone_strike"', ""), "a kind is required"),
        (("[values]", 'latitude = "lat"\n[values]'), "latitude and longitude go together"),
        (("[values]", 'track = "t"\n[values]\ntrack = "military"'), "track is in both"),
        (("[values]", '[values]\ntrack = "naval"'), "[values] track must be military or diplomacy"),
        (("[values]", '[values]\nprecision = "hour"'), "[values] precision must be one of"),
        (('name = "Monitor"', "name = 3"), "[dataset] name must be a non-empty string"),
        (('name = "Monitor"', 'name = "M"\nredistributable = "yes"'), "must be true or false"),
        (("[values]", "places = []\n[values]"), "[columns] places must be a list of column names"),
        (("[values]", '[dates]\nformat = "dd/mm/yyyy"\n[values]'), "must be a strptime layout"),
    ],
)
def test_mapping_mistakes_are_explained(tmp_path, change, message):
    assert message in mapping_error(tmp_path, MINIMAL.replace(*change))


def test_a_mapping_that_is_not_toml_says_so(tmp_path):
    assert "is not valid TOML" in mapping_error(tmp_path, "[dataset\nname=")


def test_the_csv_format_needs_a_mapping_and_the_others_refuse_one():
    with pytest.raises(ImportFileError, match="needs a mapping file"):
        event_format("csv")
    with pytest.raises(ImportFileError, match="csv format only"):
        event_format("acled", DATA / "monitor.toml")
    with pytest.raises(ImportFileError, match="'gdelt' is not a format; use one of acled, ucdp"):
        event_format("gdelt")


def test_kind_and_track_can_be_read_from_columns_by_slug_or_label(tmp_path):
    toml = MINIMAL.replace('[values]\nkind = "drone_strike"', 'kind = "type"\ntrack = "track"')
    mapping = MappedCsvFormat.from_toml(write(tmp_path / "mapping.toml", toml))
    csv_text = (
        "entry,date,type,track\n1,2025-11-25,Drone strike,\n2,2025-11-25,talks,\n"
        "3,2025-11-25,agreement,Military\n4,2025-11-25,parade,\n"
    )
    outcomes = list(EventFile(write(tmp_path / "events.csv", csv_text), mapping))
    assert [(o.track, o.kind) for o in outcomes[:3]] == [
        ("military", "drone_strike"),
        ("diplomacy", "talks"),
        ("military", "agreement"),
    ]
    assert outcomes[3] == RejectedRow(5, "4", "type", "'parade' is not a known kind")


def test_titles_and_summaries_lose_nul_and_control_characters(tmp_path):
    toml = MINIMAL.replace("[values]", 'title = "title"\nsummary = "summary"\n[values]')
    mapping = MappedCsvFormat.from_toml(write(tmp_path / "mapping.toml", toml))
    csv_text = (
        'entry,date,title,summary\n1,2025-11-25,"Strike\x00 on\x1b Kyiv","One\x00\nTwo\x07"\n'
    )
    [record] = list(EventFile(write(tmp_path / "events.csv", csv_text), mapping))
    assert record.title == "Strike on Kyiv"
    assert record.summary == "One\nTwo"


def test_a_mapped_title_longer_than_the_column_is_shortened_with_a_warning(tmp_path):
    toml = MINIMAL.replace("[values]", 'title = "title"\n[values]')
    mapping = MappedCsvFormat.from_toml(write(tmp_path / "mapping.toml", toml))
    csv_text = "entry,date,title\n1,2025-11-25," + "Strike " * 40 + "\n"
    [record] = list(EventFile(write(tmp_path / "events.csv", csv_text), mapping))
    assert len(record.title) <= 200
    assert record.warnings == [("title", "longer than 200 characters; shortened")]
