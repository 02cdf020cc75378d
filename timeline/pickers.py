"""Actor and place pickers that scale: a name typed by the reader, resolved on the server.

A filter takes a slug, a name or an alias ("kyiv", "Kyiv", "Kiev"). One match filters; none
is a message; several are a message whose choices the page shows as links (so it works with
JavaScript off). With JavaScript, timeline/static/timeline/combobox.js turns the text field
into a combobox fed by `suggestions()` over /suggest/<what>/?q=.
"""

from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse_lazy

from .models import Actor, Place, PlaceAlias, name_key

SUGGESTION_LIMIT = 20
# Places whose name holds the typed text, read before asking which have published entries.
CANDIDATE_LIMIT = 500


class AmbiguousName(forms.ValidationError):
    def __init__(self, message, choices, params=None):
        super().__init__(message, code="ambiguous", params=params)
        self.choices = choices


def actors_for_picker(what):
    return Actor.objects.claimants() if what == "claimant" else Actor.objects.published()


def resolve(what, text):
    """The published actors (what="actor" or "claimant") or places that `text` names."""
    if what == "place":
        # The places so named first, each by its own index, then "has published entries"
        # for those alone: an OR across them would probe every place.
        key = name_key(text)
        named = (
            Place.objects.filter(slug=text.strip())
            .order_by()
            .values_list("pk", flat=True)
            .union(
                Place.objects.filter(name_key=key).order_by().values_list("pk", flat=True),
                PlaceAlias.objects.filter(name_key=key)
                .order_by()
                .values_list("place_id", flat=True),
            )
        )
        found = Place.objects.published().filter(pk__in=named)
        return list(found.select_related("parent").order_by("pk")[:SUGGESTION_LIMIT])
    return actors_for_picker(what).matching_name(text)[:SUGGESTION_LIMIT]


class NamedObjectField(forms.CharField):
    """A text field that cleans to the one actor or place the text names."""

    def __init__(self, *, what, **kwargs):
        self.what = what
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "data-suggest": reverse_lazy("timeline:suggest", kwargs={"what": what}),
                "autocomplete": "off",
                "placeholder": "Any " + what,
            }
        )

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        if "\x00" in text:
            # Checked before the lookup: PostgreSQL refuses NUL in any text it is sent.
            raise forms.ValidationError("Null characters are not allowed.", code="null_characters")
        matches = resolve(self.what, text)
        if not matches:
            # The reader's text goes in as a parameter, never into the message itself: a
            # "%" in it must not be read as a format (the API formats messages with params).
            raise forms.ValidationError(
                "We have no %(what)s called “%(text)s”. Check the spelling, or leave the "
                "field empty.",
                code="does_not_exist",
                params={"what": self.what, "text": text},
            )
        if len(matches) > 1:
            raise AmbiguousName(
                f"Several {self.what}s go by “%(text)s”. Pick one:",
                [(str(match), match.slug) for match in matches],
                params={"text": text},
            )
        return matches[0]

    def run_validators(self, value):
        pass  # the value is a model instance; max_length applies to the text (widget)

    def prepare_value(self, value):
        return value.slug if hasattr(value, "slug") else value


def ambiguous_links(form, query):
    """{field name: [(label, url), ...]}: for a name that matched several rows, the same
    page with each of them picked, so a reader without JavaScript can choose."""
    if not form.is_bound:
        return {}
    links = {}
    for name, errors in form.errors.as_data().items():
        for error in errors:
            if isinstance(error, AmbiguousName):
                links[name] = []
                for label, slug in error.choices:
                    picked = query.copy()
                    picked[name] = slug
                    picked.pop("cursor", None)
                    picked.pop("page", None)
                    links[name].append((label, "?" + picked.urlencode()))
    return links


def suggestions(what, text):
    """Up to twenty published actors or places for a prefix typed by the reader, ranked:
    exact name first, then names that start with it, then names containing it, then aliases."""
    key = name_key(text.replace("\x00", ""))
    if not key:
        return []
    if what == "place":
        # Names first (one pass over the names), then "has published entries" for those
        # few: the probe per place is what costs, so it never runs for every place.
        by_name = Place.objects.filter(name_key__contains=key).values_list("pk", flat=True)
        by_alias = PlaceAlias.objects.filter(name_key__startswith=key).values_list(
            "place_id", flat=True
        )
        named = by_name.order_by().union(by_alias.order_by())[:CANDIDATE_LIMIT]
        rows = Place.objects.published().filter(pk__in=named)
    else:
        rows = actors_for_picker(what).filter(Q(name__icontains=key) | Q(aliases__icontains=key))
    rank = Case(
        When(name__iexact=key, then=Value(0)),
        When(name__istartswith=key, then=Value(1)),
        When(name__icontains=key, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    rows = rows.annotate(rank=rank).order_by("rank", "name", "pk").distinct()
    fields = ["name", "slug", "kind"] + (["parent__name"] if what == "place" else [])
    return [
        {
            "name": row["name"],
            "slug": row["slug"],
            "detail": row.get("parent__name") or row["kind"].replace("_", " "),
        }
        for row in rows.values(*fields, "rank")[:SUGGESTION_LIMIT]
    ]
