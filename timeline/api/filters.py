"""Query parameters of the API lists and exports; a bad value is a 400 naming the parameter."""

import datetime as dt

from django import forms
from django.db.models import Exists, OuterRef, Q
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework.filters import OrderingFilter

from timeline.forms import start_of_day
from timeline.models import (
    Actor,
    Assessment,
    Claim,
    Entry,
    EntryActor,
    Figure,
    Place,
    Side,
    Source,
    Track,
)
from timeline.search import SearchQueryField, search_entries

# Dates near year 1 or 9999 overflow once shifted between Kyiv time and UTC.
YEAR_RANGE_MESSAGE = "Enter a date between the years 2 and 9998."


def _check_year(value):
    if value is not None and not 2 <= value.year <= 9998:
        raise forms.ValidationError(YEAR_RANGE_MESSAGE, code="invalid")
    return value


class SafeIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        value = _check_year(super().to_python(value))
        # In UTC: PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows.
        return value.astimezone(dt.UTC) if value is not None else None


class SafeDateField(forms.DateField):
    def to_python(self, value):
        return _check_year(super().to_python(value))


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = SafeIsoDateTimeField


class DateFilter(filters.DateFilter):
    field_class = SafeDateField


class FullTextFilter(filters.CharFilter):
    field_class = SearchQueryField


class EntryFilter(filters.FilterSet):
    track = filters.ChoiceFilter(choices=Track.choices, help_text="`diplomacy` or `military`.")
    kind = filters.ChoiceFilter(choices=Entry.Kind.choices)
    status = filters.ChoiceFilter(
        choices=Entry.Status.choices,
        help_text="Editorial status. Only callers allowed to view drafts see anything but "
        "published entries; for everyone else `draft` and `review` match nothing.",
    )
    actor = filters.ModelChoiceFilter(
        queryset=Actor.objects.all(),
        to_field_name="slug",
        method="filter_actor",
        help_text="Slug of an actor taking part in the entry or making one of its claims.",
    )
    place = filters.ModelChoiceFilter(
        queryset=Place.objects.all(),
        to_field_name="slug",
        method="filter_place",
        help_text="Slug of a place; entries in places inside it match too (Kyiv → Pechersk).",
    )
    date_from = DateFilter(
        method="filter_from", help_text="First day (Kyiv time, YYYY-MM-DD), inclusive."
    )
    date_to = DateFilter(
        method="filter_to", help_text="Last day (Kyiv time, YYYY-MM-DD), inclusive."
    )
    occurred_after = IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="gte", help_text="ISO 8601 date and time, inclusive."
    )
    occurred_before = IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", help_text="ISO 8601 date and time, exclusive."
    )
    assessment = filters.ChoiceFilter(
        choices=Assessment.choices,
        method="filter_assessment",
        help_text="Entries with at least one claim graded so.",
    )
    search = FullTextFilter(
        method="filter_search",
        max_length=200,
        help_text="Full text: titles, summaries, claims (quotes, paraphrases, claimants), "
        'actors and places. All words must appear; "quoted words" are a phrase, `OR` '
        "between words, `-word` leaves out, `word*` matches a prefix.",
    )
    updated_since = IsoDateTimeFilter(
        method="filter_updated_since",
        help_text="ISO 8601 date and time: entries changed since then, for clients that sync: "
        "the entry itself, or one of its claims, figures or actors (added, changed or "
        "removed, in the admin or through the API).",
    )

    class Meta:
        model = Entry
        fields = []

    def filter_actor(self, queryset, name, value: str):
        return queryset.involving(value)  # value: the Actor the slug names

    def filter_place(self, queryset, name, value: str):
        return queryset.at_place(value)  # value: the Place the slug names

    def filter_from(self, queryset, name, day):
        return queryset.filter(occurred_at__gte=start_of_day(day))

    def filter_to(self, queryset, name, day):
        return queryset.filter(occurred_at__lt=start_of_day(day + dt.timedelta(days=1)))

    def filter_search(self, queryset, name, terms):
        return search_entries(queryset, terms)

    def filter_updated_since(self, queryset, name, value):
        def changed(model):
            rows = model.history.filter(entry_id=OuterRef("pk"), history_date__gte=value)
            return Q(Exists(rows))

        return queryset.filter(
            Q(updated_at__gte=value) | changed(Claim) | changed(Figure) | changed(EntryActor)
        )

    def filter_assessment(self, queryset, name, value):
        return queryset.with_claims_graded(value)


# `from` and `to`, as on the public timeline, are Python keywords: rename after the fact.
for _attribute, _parameter in (("date_from", "from"), ("date_to", "to")):
    EntryFilter.base_filters[_parameter] = EntryFilter.base_filters.pop(_attribute)


class ClaimFilter(filters.FilterSet):
    assessment = filters.ChoiceFilter(choices=Assessment.choices)
    kind = filters.ChoiceFilter(choices=Claim.Kind.choices)
    claimant = filters.ModelChoiceFilter(
        queryset=Actor.objects.all(), to_field_name="slug", help_text="Slug of the claimant."
    )
    entry = filters.CharFilter(field_name="entry__slug", help_text="Slug of the entry.")
    track = filters.ChoiceFilter(field_name="entry__track", choices=Track.choices)

    class Meta:
        model = Claim
        fields = []


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
