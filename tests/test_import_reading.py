"""Reading dataset files into records, without a database: encodings, gzip, line numbers,
the three formats' rules, and the shared repairs (figures, coordinates, repeated ids)."""

import datetime as dt
import gzip
import shutil
from pathlib import Path

import pytest

from timeline.importing import reading
from timeline.importing.reading import CsvReader, ImportFileError
from timeline.importing.records import clean_text, shorten
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
