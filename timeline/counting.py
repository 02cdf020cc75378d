"""Counts that do not scan: exact while cheap, "more than 10,000" beyond.

COUNT(*) over a million filtered rows reads them all; counting at most COUNT_CAP + 1 rows
costs the same at any size (a LIMIT inside the count).
"""

COUNT_CAP = 10_000


# A filter that walks the timeline index and probes each entry (a place or an actor with
# thousands of entries, models.SMALL_SIDE_LIMIT) finds a page after a few hundred rows, but
# 10,000 matches only after hundreds of thousands: such a queryset carries a lower cap.
PROBE_COUNT_CAP = 1_000


class CappedCount(int):
    """An int (the exact count, or the cap) that knows whether there were more."""

    more = False
    cap = COUNT_CAP

    def __new__(cls, value, *, more=False, cap=COUNT_CAP):
        count = super().__new__(cls, value)
        count.more = more
        count.cap = cap
        return count

    @property
    def text(self):
        return f"more than {self.cap:,}" if self.more else f"{int(self):,}"


def lower_count_cap(queryset, cap):
    """Mark `queryset` (and every queryset cloned from it) to be counted to `cap` at most.
    Query.clone() copies the query's attributes, so the mark survives further filters."""
    queryset.query.count_cap = min(cap, getattr(queryset.query, "count_cap", COUNT_CAP))
    return queryset


def capped_count(queryset, cap=COUNT_CAP):
    cap = min(cap, getattr(queryset.query, "count_cap", COUNT_CAP))
    counted = queryset.order_by()[: cap + 1].count()
    return CappedCount(min(counted, cap), more=counted > cap, cap=cap)
