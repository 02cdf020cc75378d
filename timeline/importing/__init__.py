"""Reading conflict-event datasets (ACLED, UCDP GED, column-mapped CSV) into plain records.

This package knows files and formats, not models: `EventFile` yields one outcome per row
(`EventRecord`, `SkippedRow`, `RejectedRow` or `DuplicateRow`), and the writer decides what
each becomes in the database.

    event_format = formats.event_format("acled")
    events = EventFile(path, event_format)   # ImportFileError: one sentence, stop
    for outcome in events: ...
"""

from .events import (
    DuplicateRow,
    EventFile,
    Outcome,
    RejectedRow,
    SkippedRow,
    WithdrawnRow,
    read_withdrawn,
)
from .formats import FORMATS, AcledFormat, EventFormat, MappedCsvFormat, UcdpGedFormat, event_format
from .reading import CsvReader, ImportFileError
from .records import (
    KINDS,
    ActorRecord,
    DatasetInfo,
    EventRecord,
    FigureRecord,
    PlaceRecord,
    RowRejected,
    RowSkipped,
)

__all__ = [
    "FORMATS",
    "KINDS",
    "AcledFormat",
    "ActorRecord",
    "CsvReader",
    "DatasetInfo",
    "DuplicateRow",
    "EventFile",
    "EventFormat",
    "EventRecord",
    "FigureRecord",
    "ImportFileError",
    "MappedCsvFormat",
    "Outcome",
    "PlaceRecord",
    "RejectedRow",
    "RowRejected",
    "RowSkipped",
    "SkippedRow",
    "UcdpGedFormat",
    "WithdrawnRow",
    "event_format",
    "read_withdrawn",
]
