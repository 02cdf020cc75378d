"""Query parameters of the API lists and exports; a bad value is a 400 naming the parameter."""

import datetime as dt

from django import forms
from django.db.models import Exists, OuterRef, Q
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework.filters import OrderingFilter

from timeline.filters import ClaimFilterSet, EntryFilterSet, FullTextFilter
from timeline.models import (
    Actor,
    Claim,
    Entry,
    EntryActor,
    Figure,
    Place,
    Side,
    Source,
)

# Times near year 1 or 9999 overflow once shifted between Kyiv time and UTC.
YEAR_RANGE_MESSAGE = "Enter a date between the years 2 and 9998."


class SafeIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not 2 <= value.year <= 9998:
            raise forms.ValidationError(YEAR_RANGE_MESSAGE, code="invalid")
        # In UTC: PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows.
        return value.astimezone(dt.UTC) if value is not None else None


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = SafeIsoDateTimeField


class EntryFilter(EntryFilterSet):
    """The timeline's filters (timeline/filters.py) and the API's own: kind, status, exact
    times, changes since, and `search` for the page's `q`."""

    kind = filters.ChoiceFilter(choices=Entry.Kind.choices)
    status = filters.ChoiceFilter(
        choices=Entry.Status.choices,
        help_text="Editorial status. Only callers allowed to view drafts see anything but "
        "published entries; for everyone else `draft` and `review` match nothing.",
    )
    occurred_after = IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="gte", help_text="ISO 8601 date and time, inclusive."
    )
    occurred_before = IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", help_text="ISO 8601 date and time, exclusive."
    )
    search = FullTextFilter(
        method="filter_search",
        max_length=200,
        help_text=EntryFilterSet.base_filters["q"].extra["help_text"],
    )
    updated_since = IsoDateTimeFilter(
        method="filter_updated_since",
        help_text="ISO 8601 date and time: entries changed since then, for clients that sync: "
        "the entry itself, or one of its claims, figures or actors (added, changed or "
        "removed, in the admin or through the API).",
    )

    class Meta(EntryFilterSet.Meta):
        pass

    def filter_updated_since(self, queryset, name, value):
        def changed(model):
            rows = model.history.filter(entry_id=OuterRef("pk"), history_date__gte=value)
            return Q(Exists(rows))

        return queryset.filter(
            Q(updated_at__gte=value) | changed(Claim) | changed(Figure) | changed(EntryActor)
        )


# The page's search box is `q`; the API has always called it `search`.
del EntryFilter.base_filters["q"]


class ClaimFilter(ClaimFilterSet):
    """The claim tracker's filters (timeline/filters.py) and the API's own: kind, entry."""

    kind = filters.ChoiceFilter(choices=Claim.Kind.choices)
    entry = filters.CharFilter(field_name="entry__slug", help_text="Slug of the entry.")

    class Meta(ClaimFilterSet.Meta):
        pass


class FigureFilter(filters.FilterSet):
    metric = filters.ChoiceFilter(choices=Figure.Metric.choices)
    entry = filters.CharFilter(field_name="entry__slug", help_text="Slug of the entry.")
    scope = filters.ModelChoiceFilter(
        queryset=Place.objects.all(), to_field_name="slug", help_text="Slug of the place counted."
    )
    current = filters.BooleanFilter(
        field_name="is_current",
        help_text="`true`: only the latest report per entry, metric and scope; `false`: only "
        "the reports it revised.",
    )

    class Meta:
        model = Figure
        fields = []


class ActorFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Actor.Kind.choices)
    side = filters.ModelChoiceFilter(queryset=Side.objects.all(), help_text="Slug of a side.")

    class Meta:
        model = Actor
        fields = []


class PlaceFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Place.Kind.choices)
    parent = filters.CharFilter(field_name="parent__slug", help_text="Slug of the parent place.")

    class Meta:
        model = Place
        fields = []


class SourceFilter(filters.FilterSet):
    source_type = filters.ChoiceFilter(choices=Source.Type.choices)

    class Meta:
        model = Source
        fields = []


class StableOrderingFilter(OrderingFilter):
    """Every ordering ends in the primary key, so it is unique and cursor pages are exact."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        ordering = list(ordering)
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return tuple(ordering)
