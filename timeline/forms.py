"""Filter forms for the public pages: GET parameters, bookmarkable, never a 500.

Each form validates the query string and turns what is valid into a queryset filter. Invalid
values become form errors that the page shows as a friendly message; the valid ones still
apply, so a typo in one field does not throw away the others.
"""

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone

from .models import Assessment, Track
from .pickers import NamedObjectField
from .search import SearchQueryField, search_entries

# Dates outside this range cannot be turned into a time zone-aware moment on every engine
# (year 1 in Kyiv is year 0 in UTC); nothing on the timeline is that old or that far ahead.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


def start_of_day(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class DateRangeForm(forms.Form):
    """`from` and `to` are Python keywords, so the fields are added by name in __init__."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.DateField(
                required=False,
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
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            raise forms.ValidationError(
                "The “from” date is after the “to” date. Swap them to see that period."
            )
        return cleaned

    @property
    def valid_data(self):
        """What validated, even when another field did not (so that field alone is ignored)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = dict(self.cleaned_data)
        if "__all__" in self.errors:
            data.pop("from", None)
            data.pop("to", None)
        return data

    @property
    def is_filtering(self):
        return any(value not in (None, "") for value in self.valid_data.values())


class EntryFilterForm(DateRangeForm):
    q = SearchQueryField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Titles, summaries, claims"}
        ),
    )
    track = forms.ChoiceField(
        required=False,
        choices=[("", "Both tracks"), *Track.choices],
        error_messages={"invalid_choice": "Choose diplomacy, military or both tracks."},
    )
    actor = NamedObjectField(what="actor")
    place = NamedObjectField(what="place")
    assessment = forms.ChoiceField(
        required=False,
        label="Claims graded",
        choices=[("", "Any assessment"), *Assessment.choices],
        error_messages={"invalid_choice": "That is not one of our assessments."},
    )

    field_order = ["q", "track", "actor", "place", "from", "to", "assessment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)

    def filter(self, queryset):
        data = self.valid_data
        if data.get("track"):
            queryset = queryset.filter(track=data["track"])
        if data.get("actor"):
            queryset = queryset.involving(data["actor"])
        if data.get("place"):
            queryset = queryset.at_place(data["place"])
        if data.get("from"):
            queryset = queryset.filter(occurred_at__gte=start_of_day(data["from"]))
        if data.get("to"):
            queryset = queryset.filter(
                occurred_at__lt=start_of_day(data["to"] + dt.timedelta(days=1))
            )
        if data.get("assessment"):
            queryset = queryset.with_claims_graded(data["assessment"])
        if data.get("q"):
            queryset = search_entries(queryset, data["q"])
        return queryset


class ClaimFilterForm(DateRangeForm):
    claimant = NamedObjectField(what="claimant")
    assessment = forms.ChoiceField(
        required=False,
        choices=[("", "Any assessment"), *Assessment.choices],
        error_messages={"invalid_choice": "That is not one of our assessments."},
    )
    track = forms.ChoiceField(
        required=False,
        choices=[("", "Both tracks"), *Track.choices],
        error_messages={"invalid_choice": "Choose diplomacy, military or both tracks."},
    )

    field_order = ["claimant", "assessment", "track", "from", "to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)

    def filter(self, queryset):
        """Filter claims; the date range applies to when the claim was made, or its entry's
        time when the claim carries no date of its own."""
        data = self.valid_data
        if data.get("claimant"):
            queryset = queryset.filter(claimant=data["claimant"])
        if data.get("assessment"):
            queryset = queryset.filter(assessment=data["assessment"])
        if data.get("track"):
            queryset = queryset.filter(entry__track=data["track"])
        if data.get("from"):
            start = start_of_day(data["from"])
            queryset = queryset.filter(
                Q(said_at__gte=start) | Q(said_at__isnull=True, entry__occurred_at__gte=start)
            )
        if data.get("to"):
            end = start_of_day(data["to"] + dt.timedelta(days=1))
            queryset = queryset.filter(
                Q(said_at__lt=end) | Q(said_at__isnull=True, entry__occurred_at__lt=end)
            )
        return queryset
