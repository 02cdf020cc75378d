"""Reading a dataset's CSV file, plain or gzipped, one row at a time.

Datasets are large (ACLED's worldwide export is about a gigabyte), so nothing here holds the
file in memory: the encoding is settled by decoding the bytes in chunks before the rows are
read, and each pass over the rows reopens the file. Files are UTF-8, with or without a byte
order mark; a file with any byte sequence that is not UTF-8 is read as Windows-1252 as a
whole (as Excel on Windows writes it), and `CsvReader.encoding` says so for the summary.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
CHUNK_SIZE = 1 << 20

# Notes in real exports run to a few thousand characters; a field past a megabyte means an
# unbalanced quote has swallowed the rest of the file.
csv.field_size_limit(1 << 20)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message is one plain sentence."""


def _c1_passthrough(error: UnicodeError) -> tuple[str, int]:
    # Python's cp1252 leaves five bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) undefined; the WHATWG
    # Encoding Standard maps them to the C1 controls of the same number, as Windows does.
    # Text cleaning removes control characters later, so they never reach a page.
    assert isinstance(error, UnicodeDecodeError)
    return "".join(chr(byte) for byte in error.object[error.start : error.end]), error.end


codecs.register_error("parallax-c1", _c1_passthrough)


def _open_binary(path: Path) -> BinaryIO:
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else path.open("rb")  # type: ignore[return-value]


def _describe(error: OSError) -> str:
    return (error.strerror or str(error)).rstrip(".").lower()


class CsvReader:
    """A CSV file's header and rows, as (physical line number, {column: value}).

    Opening checks everything about the file that can be checked before the first row: that
    it can be read, is not an archive or UTF-16, which encoding it is in, and that it has a
    header. Iterating reads the rows from the start, so the file can be read twice (once to
    find repeated ids, once to import).

    Rows follow csv.DictReader's conventions: a row with more fields than the header keeps
    the extra values in a list under the key None; a row with fewer has None for the missing
    columns. Blank lines are passed over. The line number is the one a text editor shows for
    the row's first line, the header being line 1, whatever quoted line breaks come before.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.gzipped = False
        self.bom = False
        self.encoding = "utf-8"
        self._check_start()
        self.encoding = self._detect_encoding()
        self.header, self.header_line = self._read_header()

    def _check_start(self) -> None:
        if self.path.is_dir():
            raise ImportFileError(f"{self.path} is a directory, not a CSV file.")
        try:
            with self.path.open("rb") as raw:
                start = raw.read(4)
        except OSError as error:
            raise ImportFileError(f"Cannot read {self.path}: {_describe(error)}.") from error
        if start.startswith(ZIP_MAGIC):
            raise ImportFileError(
                f"{self.path} is a ZIP archive (or a spreadsheet); extract the CSV file first."
            )
        self.gzipped = start.startswith(GZIP_MAGIC)
        with closing(self._chunks()) as chunks:
            start = next(chunks, b"")
        if not start:
            raise ImportFileError(f"{self.path} is empty.")
        if start.startswith(UTF16_BOMS):
            raise ImportFileError(f"{self.path} is in UTF-16; save it as UTF-8 CSV and retry.")
        self.bom = start.startswith(UTF8_BOM)

    def _binary(self) -> BinaryIO:
        try:
            return _open_binary(self.path)
        except OSError as error:
            raise ImportFileError(f"Cannot read {self.path}: {_describe(error)}.") from error

    def _chunks(self) -> Iterator[bytes]:
        with self._binary() as stream:
            try:
                while chunk := stream.read(CHUNK_SIZE):
                    yield chunk
            except (OSError, EOFError, zlib.error) as error:
                raise ImportFileError(
                    f"{self.path} is a damaged or truncated gzip file."
                    if self.gzipped
                    else f"Cannot read {self.path}: {error}."
                ) from error

    def _detect_encoding(self) -> str:
        decoder = codecs.getincrementaldecoder("utf-8")()
        with closing(self._chunks()) as chunks:
            try:
                for chunk in chunks:
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return "cp1252"
        return "utf-8"

    def _text(self) -> io.TextIOWrapper:
        stream = self._binary()
        if self.bom:
            stream.read(len(UTF8_BOM))
        errors = "parallax-c1" if self.encoding == "cp1252" else "strict"
        return io.TextIOWrapper(stream, encoding=self.encoding, errors=errors, newline="")

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """Every CSV record with the physical line it starts on, the header included."""
        with self._text() as text:
            reader = csv.reader(text)
            line = 1
            try:
                for fields in reader:
                    if fields:
                        yield line, fields
                    line = reader.line_num + 1
            except csv.Error as error:
                raise ImportFileError(
                    f"{self.path} is not valid CSV from line {line}: {error}; "
                    "look for an unbalanced quote there."
                ) from error
            except (OSError, EOFError, zlib.error) as error:
                raise ImportFileError(
                    f"{self.path} is a damaged or truncated gzip file."
                ) from error

    def _read_header(self) -> tuple[list[str], int]:
        records = self._records()
        try:
            line, fields = next(records)
        except StopIteration:
            raise ImportFileError(f"{self.path} has no header row.") from None
        finally:
            records.close()
        header = [name.strip() for name in fields]
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            raise ImportFileError(
                f"{self.path} names the column{'s' if len(repeated) > 1 else ''} "
                f"{', '.join(repeated)} twice in its header."
            )
        return header, line

    def missing(self, columns: Iterable[str]) -> list[str]:
        """The given columns that the header lacks, in the order given."""
        present = set(self.header)
        return [column for column in columns if column not in present]

    def require(self, columns: Iterable[str], what: str = "this format") -> None:
        missing = self.missing(columns)
        if missing:
            plural = "s" if len(missing) > 1 else ""
            raise ImportFileError(
                f"{self.path} lacks the column{plural} {', '.join(missing)}, which {what} needs."
            )

    def column(self, name: str) -> Iterator[tuple[int, str | None]]:
        """(line, value) of one column for every row, as iterating gives them, without
        building the rows (None where a short row lacks the column)."""
        index = self.header.index(name) if name in self.header else None
        with closing(self._records()) as records:
            next(records)
            for line, fields in records:
                yield line, fields[index] if index is not None and index < len(fields) else None

    def __iter__(self) -> Iterator[tuple[int, dict]]:
        header = self.header
        width = len(header)
        with closing(self._records()) as records:
            next(records)
            for line, fields in records:
                row: dict = dict(zip(header, fields, strict=False))
                if len(fields) > width:
                    row[None] = fields[width:]
                elif len(fields) < width:
                    for name in header[len(fields) :]:
                        row.setdefault(name, None)
                yield line, row
