"""Cursor pagination: no COUNT(*), stable pages while entries are added."""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    """Pages keyed on the view's ordering, which always ends in the primary key.

    DRF keys the cursor on the first ordering field and counts an offset through ties, so
    an ordering made unique by a trailing id never skips or repeats a row.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-id",)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValidationError, ValueError, TypeError, OverflowError) as exc:
            # A hand-edited cursor whose position is not a value of the ordering field.
            raise NotFound(self.invalid_cursor_message) from exc
