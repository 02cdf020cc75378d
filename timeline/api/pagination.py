"""Cursor pagination: no COUNT(*), stable pages while entries are added."""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as BadRequest
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

    def get_page_size(self, request):
        """The schema says `page_size` is one whole number from 1 (empty: the default):
        anything else is a 400 (DRF would fall back to the default and answer as if it were
        right)."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values or values == [""]:
            return self.page_size
        value = values[0]
        if len(values) > 1 or not value.isascii() or not value.isdigit() or int(value) < 1:
            raise BadRequest({self.page_size_query_param: ["Give one whole number from 1."]})
        return min(int(value), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1}
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValidationError, ValueError, TypeError, OverflowError) as exc:
            # A hand-edited cursor whose position is not a value of the ordering field.
            raise NotFound(self.invalid_cursor_message) from exc
