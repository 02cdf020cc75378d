"""A dataset file read as a stream of outcomes, one per row, for the writer to apply.

Every row comes out as exactly one of: an EventRecord, a SkippedRow (counted by reason), a
RejectedRow or a DuplicateRow (both for the report, with line, id, column and reason). No
row disappears without a trace, and one bad row never stops the file; only a problem with
the file as a whole (ImportFileError) does, and that is raised before the first row.
"""

from __future__ import annotations

import datetime
import gc
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Full
from typing import Any

from .dedupe import last_lines_of_repeated_ids
from .formats import EventFormat
from .reading import CsvReader, ImportFileError
from .records import EventRecord, RowRejected, RowSkipped, clean_line
from .values import parse_code


@dataclass(frozen=True)
class SkippedRow:
    line: int
    external_id: str
    reason: str


@dataclass(frozen=True)
class RejectedRow:
    line: int
    external_id: str
    column: str
    reason: str


@dataclass(frozen=True)
class DuplicateRow:
    """An earlier occurrence of an id that the file repeats; the row on `kept_line` wins."""

    line: int
    external_id: str
    column: str
    kept_line: int

    @property
    def reason(self) -> str:
        return f"the same id is on line {self.kept_line}, which is kept"


Outcome = EventRecord | SkippedRow | RejectedRow | DuplicateRow


def _width_problem(row: dict, header: list[str]) -> str:
    if None in row:
        count = len(header) + len(row[None])
    elif row[header[-1]] is None:  # a short row lacks its last columns first
        count = sum(value is not None for value in row.values())
    else:
        return ""
    return f"the row has {count} fields where the header has {len(header)}"


class EventFile:
    """A file of events in one format.

    Opening reads the header and checks the format's columns (ImportFileError if the file
    cannot be read or lacks one). `scan()` reads the file once for repeated ids and the row
    count (a progress bar's total); iterating calls it if needed, then yields one outcome per
    row, in file order.
    """

    def __init__(self, path: str | Path, event_format: EventFormat):
        self.reader = CsvReader(path)
        self.format = event_format
        event_format.check_header(self.reader)
        self.row_count: int | None = None
        self._kept_lines: dict[str, int] | None = None

    @property
    def path(self) -> Path:
        return self.reader.path

    @property
    def encoding(self) -> str:
        """ "utf-8" or "cp1252" (a file that was not valid UTF-8)."""
        return self.reader.encoding

    def scan(self) -> None:
        count = 0

        def counted() -> Iterator[tuple[int, str | None]]:
            nonlocal count
            for item in self.reader.column(self.format.id_column):
                count += 1
                yield item

        self._kept_lines = last_lines_of_repeated_ids(counted())
        self.row_count = count

    def __iter__(self) -> Iterator[Outcome]:
        if self._kept_lines is None:
            self.scan()
        kept_lines = self._kept_lines or {}
        id_column = self.format.id_column
        header = self.reader.header
        for line, row in self.reader:
            external_id = clean_line(row.get(id_column) or "")
            problem = _width_problem(row, header)
            if problem:
                yield RejectedRow(line, external_id, "", problem)
                continue
            kept_line = kept_lines.get(external_id, line)
            if kept_line != line:
                yield DuplicateRow(line, external_id, id_column, kept_line)
                continue
            try:
                yield self.format.parse(line, row)
            except RowSkipped as skipped:
                yield SkippedRow(line, external_id, skipped.reason)
            except RowRejected as rejected:
                yield RejectedRow(line, external_id, rejected.column, rejected.reason)

    def batches(
        self,
        size: int,
        *,
        background: bool = False,
        prepare: Callable[[EventRecord], Any] | None = None,
    ) -> Iterator[list]:
        """The outcomes in lists of up to `size`, in file order; `row_count` is set before
        the first. With `background`, a second process reads and parses the file while the
        caller writes the previous batch (see _parse_in_background). `prepare`, when given,
        replaces each EventRecord with what it returns, in that second process too: the
        writer's own form of a record, so the work is done beside it rather than by it."""
        if background:
            yield from _parse_in_background(self, size, prepare)
            return
        if self._kept_lines is None:
            self.scan()
        batch: list = []
        for outcome in self:
            if prepare is not None and isinstance(outcome, EventRecord):
                outcome = prepare(outcome)
            batch.append(outcome)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


# Batches parsed ahead of the writer at most: memory stays flat whatever the file's length.
BACKGROUND_QUEUE_BATCHES = 4
_POLL_SECONDS = 1.0


def _parse_in_background(events: EventFile, size: int, prepare=None) -> Iterator[list]:
    """Parse in a forked process that sends batches through a bounded queue.

    Reading, decoding and cleaning a row costs about as much as writing it, and a second
    core can do it meanwhile. The child gets the parent's memory by fork (no re-import, no
    database use: it only reads the file) and ends with os._exit, so it never touches the
    parent's connection. It stops if the parent goes away; the parent stops it if the
    writer fails. An error in the child (an unreadable file) is raised again here.
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=BACKGROUND_QUEUE_BATCHES)
    child = context.Process(
        target=_parse_child, args=(events, size, prepare, queue, os.getpid()), daemon=True
    )
    child.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=_POLL_SECONDS)
            except Empty:
                if not child.is_alive():
                    raise ImportFileError(
                        f"Reading {events.path} stopped unexpectedly (exit code {child.exitcode})."
                    ) from None
                continue
            if kind == "count":
                events.row_count = payload
            elif kind == "batch":
                yield payload
            elif kind == "error":
                raise payload
            else:  # "done"
                break
        child.join()
    finally:
        if child.is_alive():
            child.terminate()
            child.join()
        queue.close()


def _parse_child(events: EventFile, size: int, prepare, queue, parent: int) -> None:
    gc.freeze()  # what fork brought along is never garbage: collections skip it

    def send(kind, payload=None):
        while True:
            try:
                queue.put((kind, payload), timeout=_POLL_SECONDS)
                return
            except Full:
                if os.getppid() != parent:  # the writer is gone (killed): stop reading
                    os._exit(1)

    try:
        events.scan()
        send("count", events.row_count)
        for batch in events.batches(size, prepare=prepare):
            send("batch", batch)
        send("done")
    except Exception as error:  # noqa: BLE001 (sent to the parent, raised there)
        try:
            pickle.dumps(error)
        except Exception:  # noqa: BLE001 (an exception that cannot travel: its message can)
            error = ImportFileError(f"Reading {events.path} failed: {error}")
        send("error", error)
    finally:
        queue.close()
        queue.join_thread()


@dataclass(frozen=True)
class WithdrawnRow:
    line: int
    external_id: str
    withdrawn_at: datetime.datetime | None


WITHDRAWN_ID_COLUMNS = ("event_id_cnty", "external_id", "id")


def read_withdrawn(path: str | Path) -> Iterator[WithdrawnRow | RejectedRow]:
    """The ids in a list of withdrawn events, as ACLED's deleted-events list gives them
    (event_id_cnty, deleted_timestamp in Unix seconds). Another list may name its id column
    external_id or id, or have the ids in its first column."""
    reader = CsvReader(path)
    id_column = next((c for c in WITHDRAWN_ID_COLUMNS if c in reader.header), reader.header[0])
    if not id_column:
        raise ImportFileError(f"{reader.path} has no name for its id column.")
    for line, row in reader:
        external_id = clean_line(row.get(id_column) or "")
        if not external_id:
            yield RejectedRow(line, "", id_column, "no id")
            continue
        yield WithdrawnRow(line, external_id, _from_unix_time(row.get("deleted_timestamp")))


def _from_unix_time(value: str | None) -> datetime.datetime | None:
    seconds = parse_code(value)
    if not seconds or seconds < 0:
        return None
    try:
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None
