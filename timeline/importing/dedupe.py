"""Finding ids that a file repeats, without holding the file in memory.

A dataset's export can carry the same event twice (an edit appended rather than applied);
the last occurrence is the current one. One pass over the ids finds the repeated ones and
the line of their last occurrence; only those are kept, so memory grows with the number of
repeats, not the size of the file. The set of ids seen is dropped when the pass ends.
"""

from __future__ import annotations

from collections.abc import Iterable

from .records import clean_line


def last_lines_of_repeated_ids(ids: Iterable[tuple[int, str | None]]) -> dict[str, int]:
    """{external id: line of its last occurrence} for each id that occurs more than once,
    from each row's (line, id as the file writes it)."""
    seen: set[str] = set()
    repeated: dict[str, int] = {}
    for line, value in ids:
        external_id = clean_line(value or "")
        if not external_id:
            continue
        if external_id in seen:
            repeated[external_id] = line
        else:
            seen.add(external_id)
    return repeated
