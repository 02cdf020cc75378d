"""Counts that do not scan: exact while cheap, "more than 10,000" beyond.

COUNT(*) over a million filtered rows reads them all; counting at most COUNT_CAP + 1 rows
costs the same at any size (a LIMIT inside the count).
"""

COUNT_CAP = 10_000


class CappedCount(int):
    """An int (the exact count, or COUNT_CAP) that knows whether there were more."""

    more = False

    def __new__(cls, value, *, more=False):
        count = super().__new__(cls, value)
        count.more = more
        return count

    @property
    def text(self):
        return f"more than {COUNT_CAP:,}" if self.more else f"{int(self):,}"


def capped_count(queryset, cap=COUNT_CAP):
    counted = queryset.order_by()[: cap + 1].count()
    return CappedCount(min(counted, cap), more=counted > cap)
