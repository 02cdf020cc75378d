"""Query parameters of the API lists and exports; a bad value is a 400 naming the parameter."""

import datetime as dt

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework.filters import OrderingFilter, SearchFilter

from timeline.claim_search import search_claims
from timeline.filters import (
    ClaimFilterSet,
    EntryFilterSet,
    FullTextFilter,
    LiteralDateRangeForm,
)
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

# Nothing on the timeline is older than 1900 or later than 2999: a moment beyond them (year 1,
# say, where shifting between Kyiv time and UTC would overflow) selects what these select.
EARLIEST_MOMENT = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST_MOMENT = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)


class SafeIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and not EARLIEST_MOMENT.year <= parsed.year < LATEST_MOMENT.year:
                return EARLIEST_MOMENT if parsed.year < EARLIEST_MOMENT.year else LATEST_MOMENT
        value = super().to_python(value)
        # In UTC: PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows.
        return value.astimezone(dt.UTC) if value is not None else None


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = SafeIsoDateTimeField


class RecordChoiceField(forms.ModelChoiceField):
    """A record named by its key: one that does not exist is `does_not_exist`, which the API
    answers 404 (a well-formed request for something absent), not 400."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code != "invalid_choice":
                raise
            raise forms.ValidationError(
                "There is no %(what)s “%(value)s”.",
                code="does_not_exist",
                params={"what": self.label or "such record", "value": value},
            ) from error


class RecordChoiceFilter(filters.ModelChoiceFilter):
    field_class = RecordChoiceField


class StrictBooleanField(forms.Field):
    """`true` or `false` (also `1` / `0`); anything else is a 400, where Django's
    NullBooleanField would read it as “no filter”."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError("Give `true` or `false`.", code="invalid") from None


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget turns any unknown value into “no filter”.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


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

    literal = True

    class Meta(EntryFilterSet.Meta):
        form = LiteralDateRangeForm

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

    literal = True

    class Meta(ClaimFilterSet.Meta):
        form = LiteralDateRangeForm


class FigureFilter(filters.FilterSet):
    metric = filters.ChoiceFilter(choices=Figure.Metric.choices)
    entry = filters.CharFilter(field_name="entry__slug", help_text="Slug of the entry.")
    scope = RecordChoiceFilter(
        queryset=Place.objects.all(),
        to_field_name="slug",
        label="place",
        help_text="Slug of the place counted.",
    )
    current = StrictBooleanFilter(
        field_name="is_current",
        help_text="`true`: only the latest report per entry, metric and scope; `false`: only "
        "the reports it revised.",
    )

    class Meta:
        model = Figure
        fields = []


class ActorFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Actor.Kind.choices)
    side = RecordChoiceFilter(
        queryset=Side.objects.all(), label="side", help_text="Slug of a side."
    )

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


class ClaimSearchFilter(SearchFilter):
    """`search` on claims: each term in the quote, the paraphrase or the claimant's name, as
    SearchFilter means it, on an index (timeline/claim_search.py)."""

    def filter_queryset(self, request, queryset, view):
        return search_claims(queryset, self.get_search_terms(request))
