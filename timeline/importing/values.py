"""The rules every format applies to single values: dates, counts, coordinates, figures.

Real files break rules, and a rule broken by one value should cost as little as possible:
a bad date rejects its row (an event needs a date), but a bad count loses only that figure
and bad coordinates only the point on the map, each with a warning the report shows.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from .records import FigureRecord, RowRejected, clean_line

Warnings = list[tuple[str, str]]

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}


@dataclass(frozen=True)
class DateLayout:
    """A way a dataset writes dates; `example` is how error messages name it.

    English month names are matched here rather than with strptime's %B, which follows the
    process locale and would fail on a server set to another language.
    """

    example: str
    pattern: re.Pattern[str]
    build: Callable[[re.Match[str]], datetime.date]


def _month(name: str) -> int:
    return MONTHS[name.casefold()]


def _two_digit_year(digits: str) -> int:
    # POSIX's pivot, as strptime's %y: 69-99 are 1969-1999, 00-68 are 2000-2068.
    year = int(digits)
    return year + (1900 if year >= 69 else 2000)


ISO_DATE = DateLayout(
    "2025-11-25",
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    lambda m: datetime.date(int(m[1]), int(m[2]), int(m[3])),
)
DAY_MONTH_NAME_YEAR = DateLayout(
    "25 November 2025",
    re.compile(r"(\d{1,2}) ([A-Za-z]+)\.? (\d{4})"),
    lambda m: datetime.date(int(m[3]), _month(m[2]), int(m[1])),
)
EXCEL_DAY_MONTH_YEAR = DateLayout(
    "25-Nov-25",
    re.compile(r"(\d{1,2})-([A-Za-z]{3,9})-(\d{2})"),
    lambda m: datetime.date(_two_digit_year(m[3]), _month(m[2]), int(m[1])),
)
US_MONTH_DAY_YEAR = DateLayout(
    "1/22/2014 12:00:00 AM",
    re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?)?"),
    lambda m: datetime.date(int(m[3]), int(m[1]), int(m[2])),
)


def parse_date(value: str | None, layouts: Sequence[DateLayout], column: str) -> datetime.date:
    """The date in one of `layouts`; a missing or unreadable date rejects the row."""
    text = clean_line(value or "")
    if not text:
        raise RowRejected(column, "no date")
    for layout in layouts:
        match = layout.pattern.fullmatch(text)
        if match:
            try:
                return layout.build(match)
            except KeyError:
                continue
            except ValueError:
                raise RowRejected(column, f"'{text}' is not a calendar date") from None
    tried = ", ".join(layout.example for layout in layouts)
    raise RowRejected(column, f"'{text}' is not a date in any of the layouts {tried}")


_TIME_DIRECTIVES = re.compile(r"%[HIMSfpXcz]")


def parse_datetime(
    value: str | None, layout: str | None, column: str
) -> tuple[datetime.date, datetime.datetime | None]:
    """A date, and the time in UTC when the value has one, read with strptime's `layout`
    or as ISO 8601 when there is none. A time without a UTC offset is taken as UTC."""
    text = clean_line(value or "")
    if not text:
        raise RowRejected(column, "no date")
    try:
        if layout:
            parsed = datetime.datetime.strptime(text, layout)
            has_time = bool(_TIME_DIRECTIVES.search(layout))
        elif len(text) <= 10:
            return datetime.date.fromisoformat(text), None
        else:
            parsed = datetime.datetime.fromisoformat(text)
            has_time = True
    except ValueError:
        expected = f"the layout {layout}" if layout else "ISO 8601 (2025-11-25 or 2025-11-25T06:30)"
        raise RowRejected(column, f"'{text}' is not a date in {expected}") from None
    if not has_time:
        return parsed.date(), None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    parsed = parsed.astimezone(datetime.UTC)
    return parsed.date(), parsed


_DIGIT = re.compile(r"\d")


def parse_code(value: str | None) -> int | None:
    """A dataset's numeric code ("1", "1.0"); None when empty or not a whole number."""
    text = (value or "").strip()
    if text.isdecimal() and text.isascii():
        return int(text)
    if not _DIGIT.search(text):  # "State forces": no number at all, without an exception
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


_PLAIN = re.compile(r"\d+")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_FLOAT_WHOLE = re.compile(r"\d+\.0*")


def parse_count(value: str | None) -> int | None:
    """A count of people or things: "12", " 12 ", "1,234", "12.0". None when empty.

    Raises ValueError with the reason for a negative number or anything that is not a whole
    count ("1,5" and "12.5" included: a count with a fraction is a typo, not a number).
    """
    text = (value or "").strip().replace("\u00a0", "").replace("\u202f", "")
    if not text:
        return None
    if _PLAIN.fullmatch(text):
        return int(text)
    if _THOUSANDS.fullmatch(text):
        return int(text.replace(",", ""))
    if _FLOAT_WHOLE.fullmatch(text):
        return int(text.split(".")[0])
    if text.startswith("-") and parse_count(text[1:]) is not None:
        raise ValueError(f"'{text}' is negative")
    raise ValueError(f"'{text}' is not a whole number")


def read_count(row: dict, column: str, warnings: Warnings) -> int | None:
    """The count in `column`; an unusable one becomes a warning and None, so only that
    figure is lost, never the row."""
    try:
        return parse_count(row.get(column))
    except ValueError as error:
        warnings.append((column, f"{error}; the figure is left out"))
        return None


def estimate(
    row: dict,
    metric: str,
    warnings: Warnings,
    *,
    best: str,
    low: str | None = None,
    high: str | None = None,
    note: str = "",
    breakdown: str = "",
) -> FigureRecord | None:
    """A figure from the columns named by best / low / high. Bounds that contradict the
    best estimate (low above it, high below it) are dropped with a warning; best stays."""
    best_value = read_count(row, best, warnings)
    if best_value is None:
        return None
    low_value = read_count(row, low, warnings) if low else None
    high_value = read_count(row, high, warnings) if high else None
    if low and low_value is not None and low_value > best_value:
        warnings.append((low, f"low {low_value} is above best {best_value}; low is left out"))
        low_value = None
    if high and high_value is not None and high_value < best_value:
        warnings.append((high, f"high {high_value} is below best {best_value}; high is left out"))
        high_value = None
    return FigureRecord(
        metric=metric,
        best=best_value,
        low=low_value,
        high=high_value,
        note=note,
        breakdown=breakdown,
    )


MICRODEGREE = Decimal("0.000001")


def _degrees(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_coordinates(
    row: dict, latitude: str, longitude: str, warnings: Warnings
) -> tuple[Decimal | None, Decimal | None]:
    """Latitude and longitude, rounded to the micro-degree (about 10 cm), or neither.

    A pair that is incomplete, unreadable or out of range is dropped with a warning; the
    event keeps its place names, so it still shows in the place's pages.
    """
    lat_text = (row.get(latitude) or "").strip()
    lon_text = (row.get(longitude) or "").strip()
    if not lat_text and not lon_text:
        return None, None
    if not lat_text or not lon_text:
        missing = latitude if not lat_text else longitude
        warnings.append((missing, "one coordinate without the other; coordinates left out"))
        return None, None
    lat, lon = _degrees(lat_text), _degrees(lon_text)
    for column, text, number, limit in (
        (latitude, lat_text, lat, 90),
        (longitude, lon_text, lon, 180),
    ):
        if number is None:
            warnings.append((column, f"'{text}' is not a number; coordinates left out"))
            return None, None
        if not -limit <= number <= limit:
            warnings.append(
                (column, f"{text} is outside ±{limit}; coordinates left out, place kept")
            )
            return None, None
    assert lat is not None and lon is not None
    return (
        lat.quantize(MICRODEGREE, rounding=ROUND_HALF_EVEN),
        lon.quantize(MICRODEGREE, rounding=ROUND_HALF_EVEN),
    )
