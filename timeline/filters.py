"""One definition per list of what its filters mean, for the public pages and the API alike.

Each FilterSet's form renders the public filter form (GET parameters, bookmarkable, never a
500) and its filters serve the API's lists and exports (timeline/api/filters.py adds the
API-only ones). On a page an invalid value becomes a friendly message beside its field and
the valid filters still apply; in the API it is a 400 that names the parameter.
"""

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import Assessment, Claim, Entry, Track
from .pickers import NamedObjectField
from .search import SearchQueryField, search_entries

# Dates outside this range cannot be turned into a time zone-aware moment on every engine
# (year 1 in Kyiv is year 0 in UTC); nothing on the timeline is that old or that far ahead.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)

TRACK_MESSAGES = {"invalid_choice": "Choose diplomacy, military or both tracks."}
ASSESSMENT_MESSAGES = {"invalid_choice": "That is not one of our assessments."}


def within_timeline(day):
    """`day`, or the nearest day the timeline can hold: nothing is recorded before 1900 or
    after 2999, so a date beyond them selects the same entries as the limit itself."""
    return min(max(day, EARLIEST_DATE), LATEST_DATE)


def start_of_day(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def end_of_day(day):
    """The first moment after `day` (Kyiv time): `to` is inclusive."""
    return start_of_day(day + dt.timedelta(days=1))


class DateRangeForm(forms.Form):
    """A “from” after the “to” is named on the “from” field, and neither date applies."""

    swapped_dates_are_an_error = True

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end and self.swapped_dates_are_an_error:
            self.add_error(
                "from", "The “from” date is after the “to” date. Swap them to see that period."
            )
            cleaned.pop("to", None)
        return cleaned


class LiteralDateRangeForm(DateRangeForm):
    """The API's: a “from” after the “to” is a range that holds nothing, not an error."""

    swapped_dates_are_an_error = False


class DayFilter(filters.DateFilter):
    """A day in Kyiv time, `YYYY-MM-DD`, between 1900 and 2999."""

    def __init__(self, *, label, **kwargs):
        super().__init__(
            label=label,
            widget=forms.DateInput(
                attrs={"type": "date", "min": EARLIEST_DATE, "max": LATEST_DATE},
                format="%Y-%m-%d",
            ),
            validators=[
                MinValueValidator(EARLIEST_DATE, message="Pick a date from 1900 onwards."),
                MaxValueValidator(LATEST_DATE, message="Pick a date before the year 3000."),
            ],
            error_messages={"invalid": "Enter a date as YYYY-MM-DD, for example 2025-11-25."},
            **kwargs,
        )


@extend_schema_field(OpenApiTypes.STR)
class NamedObjectFilter(filters.Filter):
    """A published actor, claimant or place by slug, name or alias (timeline/pickers.py)."""

    field_class = NamedObjectField


class FullTextFilter(filters.CharFilter):
    field_class = SearchQueryField


def rename_keyword_filters(filterset, order):
    """`from` and `to` are Python keywords, so they are declared as date_from and date_to and
    renamed here; then the filters are put in the form's order."""
    for attribute, parameter in (("date_from", "from"), ("date_to", "to")):
        filterset.base_filters[parameter] = filterset.base_filters.pop(attribute)
        # Subclasses (the API's) collect their filters from declared_filters.
        filterset.declared_filters[parameter] = filterset.declared_filters.pop(attribute)
    filterset.base_filters = {
        **{name: filterset.base_filters[name] for name in order},
        **filterset.base_filters,
    }


class PublicFilterSet(filters.FilterSet):
    # A page tells its reader when a query is probably a slip: a date before 1900, a “from”
    # after the “to”, a search with no words. The API (`literal = True`) answers any query
    # its schema allows as written: a date beyond the timeline's range reads as the nearest
    # day it can hold, a reversed range and a search with no words match nothing.
    literal = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.literal:
            for name, field in self.filters.items():
                if name in ("from", "to"):
                    field.extra["validators"] = []
                if isinstance(field, FullTextFilter):
                    field.extra["wordless_matches_nothing"] = True

    @property
    def valid_data(self):
        """What validated, even when another field did not (that field alone is ignored)."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return self.form.cleaned_data

    @property
    def is_filtering(self):
        return any(value not in (None, "") for value in self.valid_data.values())

    def filter(self, queryset):
        """`queryset` with the valid filters applied (the map filters its own entries)."""
        self.form.is_valid()
        return self.filter_queryset(queryset)


class EntryFilterSet(PublicFilterSet):
    """The timeline's filters: `/?q=&track=&actor=&place=&from=&to=&assessment=`."""

    q = FullTextFilter(
        method="filter_search",
        label="Search",
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Titles, summaries, claims"}
        ),
        help_text="Full text: titles, summaries, claims (quotes, paraphrases, claimants), "
        'actors and places. All words must appear; "quoted words" are a phrase, `OR` '
        "between words, `-word` leaves out, `word*` matches a prefix.",
    )
    track = filters.ChoiceFilter(
        choices=Track.choices,
        empty_label="Both tracks",
        error_messages=TRACK_MESSAGES,
        help_text="`diplomacy` or `military`.",
    )
    actor = NamedObjectFilter(
        what="actor",
        label="Actor",
        method="filter_actor",
        help_text="Slug or name of an actor taking part in the entry or making one of its claims.",
    )
    place = NamedObjectFilter(
        what="place",
        label="Place",
        method="filter_place",
        help_text="Slug or name of a place; entries in places inside it match too "
        "(Kyiv → Pechersk).",
    )
    date_from = DayFilter(
        label="From",
        method="filter_from",
        help_text="First day (Kyiv time, YYYY-MM-DD), inclusive.",
    )
    date_to = DayFilter(
        label="To",
        method="filter_to",
        help_text="Last day (Kyiv time, YYYY-MM-DD), inclusive.",
    )
    assessment = filters.ChoiceFilter(
        choices=Assessment.choices,
        label="Claims graded",
        empty_label="Any assessment",
        error_messages=ASSESSMENT_MESSAGES,
        method="filter_assessment",
        help_text="Entries with at least one claim graded so.",
    )

    # After filtering with `q` alone: how many published entries match (search_entries).
    search_matches = None

    class Meta:
        model = Entry
        fields = []
        form = DateRangeForm

    def filter_search(self, queryset, name, terms):
        # Every public queryset holds published entries only.
        found = search_entries(queryset, terms, published=True)
        self.search_matches = getattr(found, "matches", None)
        return found

    @property
    def applied_alone(self):
        """Exactly one filter is applied: a place, actor or grade may then walk the
        timeline when dense (models.SMALL_SIDE_LIMIT)."""
        return sum(value not in (None, "", []) for value in self.valid_data.values()) == 1

    def filter_actor(self, queryset, name, actor):
        return queryset.involving(actor, walk_if_dense=self.applied_alone)

    def filter_place(self, queryset, name, place):
        return queryset.at_place(place, walk_if_dense=self.applied_alone)

    def filter_from(self, queryset, name, day):
        return queryset.filter(occurred_at__gte=start_of_day(within_timeline(day)))

    def filter_to(self, queryset, name, day):
        return queryset.filter(occurred_at__lt=end_of_day(within_timeline(day)))

    def filter_assessment(self, queryset, name, value):
        return queryset.with_claims_graded(value, walk_if_dense=self.applied_alone)


rename_keyword_filters(EntryFilterSet, ["q", "track", "actor", "place", "from", "to", "assessment"])


class ClaimFilterSet(PublicFilterSet):
    """The claim tracker's filters: `/claims/?claimant=&assessment=&track=&from=&to=`."""

    claimant = NamedObjectFilter(
        what="claimant",
        label="Claimant",
        method="filter_claimant",
        help_text="Slug or name of the claimant.",
    )
    assessment = filters.ChoiceFilter(
        choices=Assessment.choices,
        empty_label="Any assessment",
        error_messages=ASSESSMENT_MESSAGES,
    )
    track = filters.ChoiceFilter(
        field_name="entry__track",
        choices=Track.choices,
        empty_label="Both tracks",
        error_messages=TRACK_MESSAGES,
    )
    date_from = DayFilter(
        label="From",
        method="filter_from",
        help_text="First day (Kyiv time, YYYY-MM-DD), inclusive: when the claim was made, or "
        "its entry's time when the claim carries no date of its own.",
    )
    date_to = DayFilter(
        label="To",
        method="filter_to",
        help_text="Last day (Kyiv time, YYYY-MM-DD), inclusive, as for `from`.",
    )

    class Meta:
        model = Claim
        fields = []
        form = DateRangeForm

    def filter_claimant(self, queryset, name, actor):
        return queryset.filter(claimant=actor)

    def filter_from(self, queryset, name, day):
        start = start_of_day(within_timeline(day))
        return queryset.filter(
            Q(said_at__gte=start) | Q(said_at__isnull=True, entry__occurred_at__gte=start)
        )

    def filter_to(self, queryset, name, day):
        end = end_of_day(within_timeline(day))
        return queryset.filter(
            Q(said_at__lt=end) | Q(said_at__isnull=True, entry__occurred_at__lt=end)
        )


rename_keyword_filters(ClaimFilterSet, ["claimant", "assessment", "track", "from", "to"])
