"""Dates as editors type them: ISO first (what the calendar widget writes), then day first."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2025-11-27
    "%d.%m.%Y",  # 27.11.2025
    "%d/%m/%Y",  # 27/11/2025
    "%d.%m.%y",  # 27.11.25
    "%d/%m/%y",  # 27/11/25
]
DATETIME_INPUT_FORMATS = [
    f"{day} {time}" for day in DATE_INPUT_FORMATS for time in ("%H:%M:%S", "%H:%M:%S.%f", "%H:%M")
] + DATE_INPUT_FORMATS
