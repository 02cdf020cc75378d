"""Parallax's domain: who said what about peace, what was done by force, and on what source."""

import json
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, transaction
from django.db.models import Q, Value
from django.db.models.functions import (
    Cast,
    Concat,
    Floor,
    Length,
    Substr,
    TruncDate,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from .counting import PROBE_COUNT_CAP, lower_count_cap
from .history import HistoricalSaveGroup

EARLIEST_PLAUSIBLE_DATE = date(1900, 1, 1)


def plausible_time_errors(**values):
    """Errors for moments before 1900 or more than a day ahead: a typo, not an event.

    Takes dates or datetimes by field name; returns {field: message} for the model's clean().
    """
    latest = timezone.now() + timedelta(days=1)
    errors = {}
    for field, value in values.items():
        if value is None:
            continue
        moment = value if isinstance(value, datetime) else None
        day = timezone.localtime(value).date() if moment and timezone.is_aware(value) else value
        if isinstance(day, datetime):
            day = day.date()
        if day < EARLIEST_PLAUSIBLE_DATE:
            errors[field] = (
                "This date is before 1900; Parallax records events from 1900 on. Check the year."
            )
        elif (moment and timezone.is_aware(moment) and moment > latest) or (
            not moment and day > timezone.localdate(latest)
        ):
            errors[field] = (
                "This date is more than a day in the future; record events once they happen. "
                "Check the year and the month."
            )
    return errors


class SlugFromName:
    """Models whose slug, when left empty, is made from another field (`slug_source`)."""

    slug_source = "name"

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self, getattr(self, self.slug_source))
        super().save(*args, **kwargs)


def unique_slug(instance, value, *, max_length=200):
    """A slug for `value` that no other row of the instance's model uses yet."""
    base = slugify(value)[: max_length - 6].strip("-") or "item"
    slug = base
    model = type(instance)
    suffix = 2
    while model.objects.filter(slug=slug).exclude(pk=instance.pk).exists():
        slug = f"{base}-{suffix}"
        suffix += 1
    return slug


# --- Versions: what an ETag and the admin's conflict check compare ---------------------


class Versioned(models.Model):
    """A row whose every save moves its version on by one.

    The API's ETag and If-Match, and the admin's hidden version field, compare it with the
    row as stored (locked for the write) so a second writer working from an old copy is
    refused instead of silently overwriting the first (issue 10, no lost update).
    """

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Moves on by one with every save; used to refuse edits made to an old copy.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version = (self.version or 0) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)


# --- Actors and places ---------------------------------------------------------------


def name_key(value):
    """How names are matched: case and spacing do not matter ("Kiev city" is "Kiev City")."""
    return " ".join(str(value).split()).casefold()


def alias_lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class Side(models.Model):
    """A party to a conflict, or the third parties around it: records, since each war has its own.

    The slug is the key, so the API and the fixtures speak of "russia" and "ukraine".
    """

    THIRD_PARTY = "third_party"

    slug = models.SlugField(
        max_length=64,
        primary_key=True,
        help_text="A short stable key, e.g. “ukraine”. Cannot be changed later.",
    )
    name = models.CharField(max_length=100, help_text="The name readers see, e.g. “Ukraine”.")
    is_party_to_conflict = models.BooleanField(
        default=True,
        help_text="Claims by actors on a party's side are marked to readers as claims by a "
        "party to the conflict. Off for “third party”.",
    )

    class Meta:
        ordering = ["-is_party_to_conflict", "name"]

    def __str__(self):
        return self.name


class ActorQuerySet(models.QuerySet):
    def published(self):
        """Actors readers can meet: taking part in, or quoted by, a published entry."""
        return self.filter(
            models.Exists(
                EntryActor.objects.filter(actor=models.OuterRef("pk")).filter(entry_is_published())
            )
            | models.Exists(
                Claim.objects.filter(claimant=models.OuterRef("pk")).filter(entry_is_published())
            )
        )

    def claimants(self):
        """Actors with a claim on a published entry: the claim tracker's claimants."""
        return self.filter(
            models.Exists(Claim.objects.published().filter(claimant=models.OuterRef("pk")))
        )

    def matching_name(self, text):
        """Actors whose slug or name is `text`, or who go by it as an alias (any case)."""
        key = name_key(text)
        candidates = self.filter(
            Q(slug=text.strip()) | Q(name__iexact=key) | Q(aliases__icontains=key)
        )
        return [
            actor
            for actor in candidates
            if actor.slug == text.strip()
            or name_key(actor.name) == key
            or key in {name_key(alias) for alias in actor.alias_list}
        ]


class Actor(Versioned):
    class Kind(models.TextChoices):
        STATE = "state", "State"
        GOVERNMENT_BODY = "government_body", "Government body"
        OFFICIAL = "official", "Person or official"
        ARMED_FORCE = "armed_force", "Armed force"
        LOCAL_AUTHORITY = "local_authority", "City or regional authority"
        INTERNATIONAL_ORGANISATION = "international_organisation", "International organisation"
        MEDIA = "media", "Media"
        GROUP = "group", "Group of people"

    name = models.CharField(
        max_length=200,
        help_text="The name readers see, e.g. “Kyiv City Military Administration”.",
    )
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The last part of the actor's web address, /actors/vladimir-putin/. "
        "Keep it stable.",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    side = models.ForeignKey(
        Side,
        on_delete=models.PROTECT,
        default=Side.THIRD_PARTY,
        related_name="actors",
        help_text="Which side of the war the actor belongs to. Claims by a party to the "
        "conflict are marked as such to readers.",
    )
    country = models.CharField(
        max_length=100, blank=True, help_text="Country the actor belongs to, if any."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The body this actor belongs to: Trump administration → United States; "
        "Kyiv City Military Administration → Ukraine.",
    )
    aliases = models.TextField(
        blank=True,
        help_text="Other names, one per line (“Military Forces of Russia (2000-)”). Searched "
        "and used to match imported data, not shown as the name.",
    )
    description = models.TextField(blank=True, help_text="One or two neutral sentences.")

    objects = ActorQuerySet.as_manager()
    history = HistoricalRecords(bases=[HistoricalSaveGroup])

    class Meta:
        ordering = ["name"]
        # Lists and pages of actors by name read it in order, however many there are.
        indexes = [models.Index(fields=["name", "id"], name="actor_name_order")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("timeline:actor-detail", kwargs={"slug": self.slug})

    @property
    def is_party_to_conflict(self):
        return self.side.is_party_to_conflict

    def get_side_display(self):
        return self.side.name

    @property
    def alias_list(self):
        return alias_lines(self.aliases)


PATH_SEPARATOR = "/"
# The character right after the separator: every path that starts with "/1/5/" sorts at or
# after "/1/5/" and before "/1/50", so "inside a place" is a range on the path's index.
PATH_END = chr(ord(PATH_SEPARATOR) + 1)


def path_ids(path):
    """The ids in a stored path, from the country down to the place itself, as text."""
    return path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR) if path else []


def path_ancestor_ids(path):
    """The ids of a place's ancestors (country first) from its stored path."""
    return [int(pk) for pk in path_ids(path)[:-1]]


def path_range(path):
    return path, path[:-1] + PATH_END


class PlaceQuerySet(models.QuerySet):
    def within(self, place):
        """`place` and every place inside it, at any depth: Kyiv, and Pechersk in Kyiv."""
        low, high = path_range(place.path)
        return self.filter(path__gte=low, path__lt=high)

    def inside_outer(self):
        """Places at or inside the outer query's place: for Exists() over a place list."""
        outer = models.OuterRef("path")
        end = Concat(Substr(outer, 1, Length(outer) - 1), Value(PATH_END))
        return self.filter(path__gte=outer, path__lt=end)

    def store_paths(self):
        """Derive path, depth and name key for places written by bulk_create, which skips save().

        Reads every place's parent in one query and writes only the rows that change.
        """
        rows = {row[0]: row for row in Place.objects.values_list("id", "parent_id", "path", "name")}
        paths = {}

        def path_of(place_id):
            if place_id not in paths:
                parent_id = rows[place_id][1]
                prefix = path_of(parent_id) if parent_id else PATH_SEPARATOR
                paths[place_id] = f"{prefix}{place_id}{PATH_SEPARATOR}"
            return paths[place_id]

        changed = [
            Place(
                pk=place_id,
                path=path_of(place_id),
                depth=path_of(place_id).count(PATH_SEPARATOR) - 2,
                name_key=name_key(name),
            )
            for place_id, _, path, name in rows.values()
            if path != path_of(place_id)
        ]
        Place.objects.bulk_update(changed, ["path", "depth", "name_key"], batch_size=1000)
        moved = [
            place_id for place_id, _, path, _ in rows.values() if path and path != paths[place_id]
        ]
        if moved:
            StaleDay.mark(Entry.objects.filter(places__in=moved))
        return len(changed)

    def published(self):
        """Places with published entries, and the places that contain them (Kyiv for Pechersk).

        A probe per place (the places inside it by path, their entries, the first published
        one), so filtering a few candidate places never reads every entry."""
        outer = models.OuterRef("path")
        end = Concat(Substr(outer, 1, Length(outer) - 1), Value(PATH_END))
        located = Entry.places.through.objects.filter(
            place__path__gte=outer, place__path__lt=end
        ).filter(entry_is_published())
        return self.filter(Probe(located))

    def matching_name(self, name):
        """Places called `name` or known by it as an alias, whatever the case or spacing."""
        key = name_key(name)
        return self.filter(Q(name_key=key) | Q(aliases__name_key=key)).distinct()


class Place(Versioned):
    class Kind(models.TextChoices):
        COUNTRY = "country", "Country"
        REGION = "region", "Region (oblast, province)"
        SUBREGION = "subregion", "Sub-region (raion, county)"
        COMMUNITY = "community", "Community (hromada, municipality)"
        CITY = "city", "City, town or village"
        DISTRICT = "district", "District of a city"
        SITE = "site", "Site"

    class CoordinatePrecision(models.TextChoices):
        EXACT = "exact", "Exact location"
        NEAR = "near", "Near the location (within a few km)"
        CITY = "city", "City centre"
        REGION = "region", "Centre of the region"

    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, editable=False, db_index=True, default="")
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The last part of the place's web address, /places/kyiv/.",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The place this one lies in: Pechersk → Kyiv → Ukraine.",
    )
    # The ids from the country down to this place, "/1/2/4/": "everything inside Kyiv" is one
    # range on this index at any depth. Derived in save(); never edited by hand.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    coordinate_precision = models.CharField(
        max_length=8,
        choices=CoordinatePrecision.choices,
        blank=True,
        help_text="How close the coordinates are to where things happened. Leave empty "
        "when there are no coordinates.",
    )

    objects = PlaceQuerySet.as_manager()
    history = HistoricalRecords(bases=[HistoricalSaveGroup])

    class Meta:
        ordering = ["name"]
        # The API's list and the sitemap read places by name in order, however many.
        indexes = [models.Index(fields=["name", "id"], name="place_name_order")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__isnull=False) & Q(longitude__isnull=False)),
                name="place_coordinates_both_or_neither",
                violation_error_message="Give both latitude and longitude, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True)
                | (
                    Q(latitude__gte=-90)
                    & Q(latitude__lte=90)
                    & Q(longitude__gte=-180)
                    & Q(longitude__lte=180)
                ),
                name="place_coordinates_in_range",
                violation_error_message="Latitude must be within ±90 and longitude within ±180.",
            ),
        ]

    def __str__(self):
        if self.parent_id and self.kind in (self.Kind.DISTRICT, self.Kind.SITE):
            return f"{self.name}, {self.parent.name}"
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self, self.name)
        self.name_key = name_key(self.name)
        old_path = self.path
        with transaction.atomic():
            if not self.pk:
                super().save(*args, **kwargs)
                kwargs = {}
            parent_path = (
                Place.objects.values_list("path", flat=True).get(pk=self.parent_id)
                if self.parent_id
                else PATH_SEPARATOR
            )
            self.path = f"{parent_path}{self.pk}{PATH_SEPARATOR}"
            self.depth = self.path.count(PATH_SEPARATOR) - 2
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "path", "depth", "name_key"}
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                self._move_descendants(old_path)
                # Its entries now count in other places' charts: the triggers cannot see that.
                low, high = path_range(self.path)
                StaleDay.mark(Entry.objects.filter(places__path__gte=low, places__path__lt=high))

    def get_absolute_url(self):
        return reverse("timeline:place-detail", kwargs={"slug": self.slug})

    def _move_descendants(self, old_path):
        """A place moved to another parent takes everything inside it along."""
        low, high = path_range(old_path)
        inside = Place.objects.filter(path__gte=low, path__lt=high).exclude(pk=self.pk)
        shift = self.path.count(PATH_SEPARATOR) - old_path.count(PATH_SEPARATOR)
        inside.update(
            path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
            depth=models.F("depth") + shift,
        )

    @property
    def ancestor_ids(self):
        """Ids from the country down to the parent, read from the stored path."""
        return path_ancestor_ids(self.path)

    def clean(self):
        if (
            self.latitude is not None
            and self.longitude is not None
            and not self.coordinate_precision
        ):
            raise ValidationError({"coordinate_precision": "Say how precise the coordinates are."})
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": "A place cannot lie within itself."})
        if self.parent_id and self.pk and self.path:
            low, high = path_range(self.path)
            parent_path = (
                Place.objects.filter(pk=self.parent_id).values_list("path", flat=True).first()
            )
            if parent_path and low <= parent_path < high:
                raise ValidationError(
                    {"parent": "A place cannot lie within a place that lies within it."}
                )

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None


class PlaceAlias(models.Model):
    """Another name a place goes by: “Kiev”, “Kyiv City”. Used to match imported data."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = "other name"
        verbose_name_plural = "other names"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["place", "name_key"],
                name="place_alias_unique",
                violation_error_message="The place already has this name.",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)


class PlaceTree:
    """Every place's parent, kind and name, read in one query: ancestry without a query per row."""

    def __init__(self, places=None):
        """`places`: a Place queryset to read instead of every place, such as
        Place.objects.within(kyiv) when only ancestry inside Kyiv matters."""
        places = Place.objects.all() if places is None else places
        self.rows = {row["id"]: row for row in places.values("id", "parent_id", "kind", "name")}

    def ancestors(self, place_id):
        return set(self._chain(place_id))

    def region_name(self, place_id):
        """The region (oblast) the place is, or lies in: ACLED's admin1."""
        for candidate in (place_id, *self._chain(place_id)):
            row = self.rows.get(candidate)
            if row and row["kind"] == Place.Kind.REGION:
                return row["name"]
        return ""

    def _chain(self, place_id):
        parent_id = self.rows.get(place_id, {}).get("parent_id")
        seen = set()
        while parent_id and parent_id not in seen:
            seen.add(parent_id)
            yield parent_id
            parent_id = self.rows.get(parent_id, {}).get("parent_id")


# --- Sources --------------------------------------------------------------------------


class Source(Versioned):
    class Type(models.TextChoices):
        OFFICIAL_STATEMENT = "official_statement", "Official statement"
        NEWS_REPORT = "news_report", "News report"
        SOCIAL_MEDIA = "social_media", "Social media"
        ANONYMOUS_OFFICIAL = "anonymous_official", "Anonymous official"
        OTHER = "other", "Other"

    title = models.CharField(max_length=300, help_text="The document's own headline or title.")
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(
        max_length=500,
        blank=True,
        help_text="Where readers can read the document. Leave empty rather than guess.",
    )
    archive_url = models.URLField(
        max_length=500, blank=True, help_text="A permanent archived copy, if one exists."
    )
    source_type = models.CharField(max_length=24, choices=Type.choices, default=Type.NEWS_REPORT)
    published_at = models.DateTimeField(null=True, blank=True)
    accessed_at = models.DateTimeField(
        null=True, blank=True, help_text="When an editor last read the document."
    )
    notes = models.TextField(
        blank=True, help_text="What readers should know about this source (shown with it)."
    )

    history = HistoricalRecords(bases=[HistoricalSaveGroup])

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return f"{self.publisher}: {self.title}" if self.publisher else self.title

    def clean(self):
        errors = plausible_time_errors(published_at=self.published_at, accessed_at=self.accessed_at)
        if errors:
            raise ValidationError(errors)


# --- Entries ---------------------------------------------------------------------------


class Track(models.TextChoices):
    DIPLOMACY = "diplomacy", "Diplomacy"
    MILITARY = "military", "Military"


class Precision(models.TextChoices):
    EXACT = "exact", "Exact time"
    PART_OF_DAY = "part_of_day", "Part of the day"
    DAY = "day", "Day"
    SEVERAL_DAYS = "several_days", "Several days"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Probe(models.Exists):
    """EXISTS, evaluated row by row as a probe that stops at its first match. PostgreSQL turns
    a plain EXISTS into a semi-join and may hash every row of the inside first (37,000 entry
    links of a region, to learn that it has one published entry: 33 ms a place); an OFFSET
    keeps the subquery as it is written."""

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, **extra_context)
        # "EXISTS(SELECT ... LIMIT 1)" (or NOT EXISTS): the OFFSET goes before the last ")".
        return f"{sql[:-1]} OFFSET 0)", params


def entry_is_published(field="entry_id"):
    """The published gate for a row that points at an entry (a claim, a figure, a link).

    A correlated probe on the entry's primary key. `entry__in=Entry.objects.published()`
    means the same, but SQLite runs that subquery once into a list of every published id,
    a million rows read for a page of twenty.
    """
    return models.Exists(Entry.objects.published().filter(pk=models.OuterRef(field)))


# How a filter on a place, an actor or a grade finds a page. Few candidates: their ids are
# read from the filter's own index (the small side) and the timeline sorts just those. Many:
# the timeline index is walked newest first, each entry probed, and a page is found after
# about 31 × N / c probes (N entries, c of them matching), but counting or charting them
# probes every entry in range. Up to SMALL_SIDE_LIMIT candidates are read. A filter used
# alone (`walk_if_dense`: its count and chart come from the roll-up, so only the page is
# found) walks sooner, once c passes about 2 √N, where reading c ids starts to cost more
# than the walk: on PostgreSQL at 200,000 a region of 7,400 entries pages in 74 ms walking
# against 131 ms sorting; at a million an actor with 2,800 is as fast either way. Up to
# SMALL_SIDE_FLOOR candidates are always read (a few milliseconds). Either way a page costs
# about the same at ten thousand entries and at a million.
SMALL_SIDE_LIMIT = 10_000
SMALL_SIDE_FLOOR = 500


class KeyIn(models.Func):
    """The row's primary key is one of `ids` (a list of thousands, from a small side), sent
    as one parameter: a literal IN list costs Django a placeholder per id to build, again for
    each of a page's queries, and PostgreSQL would test every row against `= ANY(...)`
    instead of fetching the ids by key. `field`: another key column to test (`entry_id`)."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, ids, field="pk"):
        self.ids = [int(pk) for pk in ids]
        super().__init__(models.F(field))

    def as_sqlite(self, compiler, connection, **extra):
        pk, params = compiler.compile(self.source_expressions[0])
        sql = f"{pk} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (`pk` is compiled SQL)
        return sql, [*params, json.dumps(self.ids)]

    def as_postgresql(self, compiler, connection, **extra):
        pk, params = compiler.compile(self.source_expressions[0])
        sql = f"{pk} IN (SELECT unnest(%s::bigint[]))"  # noqa: S608 (`pk` is compiled SQL)
        return sql, [*params, self.ids]


class HeldByRollUp(models.Func):
    """The row's primary key is among the entry ids that some FilterDayCount rows hold
    (`rows`, a queryset of them), unpacked by the database in the same query: no round trip
    for the ids, and no second query to count them first."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, rows):
        self.rows = rows.order_by().values("entry_ids")
        super().__init__(models.F("pk"))

    def _held(self, compiler, unpack):
        pk, params = compiler.compile(self.source_expressions[0])
        rows, row_params = self.rows.query.get_compiler(connection=compiler.connection).as_sql()
        sql = f"{pk} IN (SELECT {unpack} FROM ({rows}) AS held{{join}})"  # noqa: S608
        return sql, (*params, *row_params)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self._held(compiler, "ids.value")
        return sql.format(join=", json_each(held.entry_ids) AS ids"), params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self._held(compiler, "ids.value::bigint")
        join = ", jsonb_array_elements_text(held.entry_ids::jsonb) AS ids(value)"
        return sql.format(join=join), params


class EntryQuerySet(models.QuerySet):
    def published(self):
        """The one gate to everything public: pages, API, feed, sitemap and exports."""
        return self.filter(status=Entry.Status.PUBLISHED)

    def involving(self, actor, *, walk_if_dense=False):
        """Entries an actor takes part in (any role) or makes a claim in. `walk_if_dense`:
        see SMALL_SIDE_LIMIT."""
        acting = EntryActor.objects.filter(actor=actor).values("entry_id").order_by()
        claiming = Claim.objects.filter(claimant=actor).values("entry_id").order_by()
        ids = self._small_side(acting.union(claiming), "actor", actor, walk_if_dense)
        if ids is not None:
            return self.filter(KeyIn(ids))
        return self._probing(
            models.Exists(EntryActor.objects.filter(entry=models.OuterRef("pk"), actor=actor))
            | models.Exists(Claim.objects.filter(entry=models.OuterRef("pk"), claimant=actor))
        )

    def redistributable(self):
        """Entries whose rows may leave Parallax: editors' own, and those from datasets whose
        licence allows it. Exports call this: ACLED's terms keep its rows out of them."""
        return self.filter(Q(dataset__isnull=True) | Q(dataset__redistributable=True))

    def at_place(self, place, *, walk_if_dense=False):
        """Entries at `place` or anywhere inside it: Kyiv matches an entry in Pechersk.
        `walk_if_dense`: see SMALL_SIDE_LIMIT."""
        low, high = path_range(place.path)
        located = Entry.places.through.objects.filter(place__path__gte=low, place__path__lt=high)
        entry_ids = located.values("entry_id").order_by()
        ids = self._small_side(entry_ids, "place", place, walk_if_dense)
        if ids is not None:
            return self.filter(KeyIn(ids))
        return self._probing(models.Exists(located.filter(entry=models.OuterRef("pk"))))

    def with_claims_graded(self, assessment, *, walk_if_dense=False):
        """Entries with at least one claim at `assessment`. `walk_if_dense`: see
        SMALL_SIDE_LIMIT."""
        graded = Claim.objects.filter(assessment=assessment)
        entry_ids = graded.values("entry_id").order_by()
        ids = self._small_side(entry_ids, "assessment", assessment, walk_if_dense)
        if ids is not None:
            return self.filter(KeyIn(ids))
        return self._probing(models.Exists(graded.filter(entry=models.OuterRef("pk"))))

    def _probing(self, condition):
        return lower_count_cap(self.filter(condition), PROBE_COUNT_CAP)

    @staticmethod
    def _small_side(entry_ids, name, value, walk_if_dense=False):
        """The candidate entry ids when reading them beats walking the timeline (see
        SMALL_SIDE_LIMIT), else None. The ids are a literal list so that no engine picks
        the timeline's index and tests every entry against them.

        One query whichever way it goes: the filter's FilterTotal (its number of entries)
        and the highest entry id (about the timeline's size) decide in the query's LIMIT,
        so a region with a hundred thousand entries reads no candidate at all; a stale
        total costs speed only, never a wrong answer."""
        total = FilterTotal.objects.filter(
            filter=name, value=FilterDayCount.value_of(name, value)
        ).values("entries")
        total_sql, total_params = total.query.sql_with_params()
        sql, params = entry_ids.query.sql_with_params()
        estimate = f"COALESCE(({total_sql}), 0)"
        size = "(SELECT COALESCE(MAX(id), 0) FROM timeline_entry)"
        read = f"{estimate} <= %s AND ({estimate} <= %s OR {estimate} * {estimate} <= 4 * {size})"
        floor = SMALL_SIDE_FLOOR if walk_if_dense else SMALL_SIDE_LIMIT
        read_params = [*total_params, SMALL_SIDE_LIMIT, *total_params, floor]
        read_params += total_params * 2
        with connections[entry_ids.db].cursor() as cursor:
            cursor.execute(
                f"SELECT CAST(NULL AS bigint), CASE WHEN {read} THEN 1 ELSE 0 END "  # noqa: S608
                "UNION ALL SELECT * FROM ("
                f"SELECT candidates.entry_id, CAST(NULL AS bigint) FROM ({sql}) AS candidates "
                f"LIMIT CASE WHEN {read} THEN %s ELSE 0 END) AS small",
                [*read_params, *params, *read_params, SMALL_SIDE_LIMIT + 1],
            )
            rows = cursor.fetchall()
        # The decision's row is the one without an entry (UNION ALL promises no order).
        reading = next(flag for entry_id, flag in rows if entry_id is None)
        candidates = [entry_id for entry_id, _ in rows if entry_id is not None]
        if not reading or len(candidates) > SMALL_SIDE_LIMIT:
            return None
        return sorted(set(candidates))

    def daily_counts(self, start, end):
        """{(local day, track, kind): entries} between two aware moments, in one GROUP BY.

        For filtered querysets (an actor, a place, a search); the unfiltered timeline reads the
        roll-up instead (DayCount.objects.daily), which costs the same at any size.
        """
        from .search import within_window

        day = LocalDate("occurred_at", start=start, end=end)
        window = within_window(self.filter(occurred_at__gte=start, occurred_at__lt=end), start, end)
        rows = (
            window.order_by()
            .annotate(day=day)
            .values("day", "track", "kind")
            .annotate(n=models.Count("id"))
        )
        return {(row["day"], row["track"], row["kind"]): row["n"] for row in rows}

    def figure_totals_by_day(self, start, end, places, *, metrics, within=None):
        """{(local day, track, kind, metric): rollup.FigureTotal} between two moments: each
        entry's current figures counted once (Entry.figures_counted_once's rule), errors
        left out, in one query. `within`: only figures whose scope is that place or lies
        inside it, so Kyiv's page counts Kyiv's own number, not the nationwide total the
        same entry also reports."""
        from .rollup import totals_by_day
        from .search import within_window

        window = within_window(self.filter(occurred_at__gte=start, occurred_at__lt=end), start, end)
        figures = Figure.objects.filter(entry__in=window.values("pk"))
        if within is not None:
            low, high = path_range(within.path)
            figures = figures.filter(scope__path__gte=low, scope__path__lt=high)
        return totals_by_day(figures.total_rows(metrics), places)

    def killed_by_day(self, start, end, places, *, within=None):
        """{(local day, track, kind): killed} between two moments (figure_totals_by_day)."""
        totals = self.figure_totals_by_day(
            start, end, places, metrics=[Figure.Metric.KILLED], within=within
        )
        return {key[:3]: total.best for key, total in totals.items()}

    def map_cells(self, *, cell, bbox=None):
        """Entries per grid cell (`cell` degrees square) and track, never one row per entry:
        [{cx, cy, entry__track, n, lat, lon, first_place, n_places}], from the entries' places with
        coordinates, inside bbox (west, south, east, north) when given."""
        located = Entry.places.through.objects.filter(
            entry__in=self.values("pk"), place__latitude__isnull=False
        )
        if bbox:
            west, south, east, north = bbox
            located = located.filter(
                place__longitude__gte=west,
                place__longitude__lte=east,
                place__latitude__gte=south,
                place__latitude__lte=north,
            )
        lon = Cast("place__longitude", models.FloatField())
        lat = Cast("place__latitude", models.FloatField())
        return list(
            located.annotate(cx=Floor(lon / cell), cy=Floor(lat / cell))
            .values("cx", "cy", "entry__track")
            .annotate(
                n=models.Count("entry_id", distinct=True),
                lat=models.Avg(lat),
                lon=models.Avg(lon),
                first_place=models.Min("place_id"),
                n_places=models.Count("place_id", distinct=True),
            )
            .order_by()
        )

    def without_coordinates(self):
        """Entries none of whose places has coordinates: they cannot be drawn on a map."""
        located = Entry.places.through.objects.filter(
            entry=models.OuterRef("pk"), place__latitude__isnull=False
        )
        return self.exclude(models.Exists(located))

    def with_related(self):
        """Everything a timeline card or an API list item shows, in a fixed number of queries."""
        return self.select_related("dataset").prefetch_related(
            "places",
            "sources",
            models.Prefetch(
                "entry_actors", queryset=EntryActor.objects.select_related("actor__side")
            ),
            models.Prefetch(
                "claims",
                queryset=Claim.objects.select_related("claimant__side").order_by("position", "id"),
            ),
            models.Prefetch(
                "figures",
                queryset=Figure.objects.select_related("scope", "reported_by", "source"),
            ),
        )


ENTRY_KINDS_BY_TRACK = {
    Track.DIPLOMACY: {"talks", "statement", "proposal", "agreement", "ceasefire"},
    Track.MILITARY: {
        "missile_strike",
        "drone_strike",
        "combined_strike",
        "infrastructure_strike",
        "cross_border_strike",
        "interception_report",
        "air_or_drone_strike",
        "shelling_artillery_missile",
        "remote_explosive",
        "grenade",
        "suicide_bomb",
        "chemical_weapon",
        "armed_clash",
        "territory_change",
        "attack_on_civilians",
        "sexual_violence",
        "abduction",
        "state_based_violence",
        "non_state_violence",
        "one_sided_violence",
    },
}


# --- Datasets ---------------------------------------------------------------------------


class Dataset(SlugFromName, models.Model):
    """A published collection of events (ACLED, UCDP GED, a monitor's CSV) and its terms."""

    name = models.CharField(max_length=200, unique=True, help_text="E.g. “UCDP GED”.")
    slug = models.SlugField(max_length=200, unique=True)
    url = models.URLField(max_length=500, blank=True, help_text="The dataset's home page.")
    licence = models.CharField(max_length=200, blank=True, help_text="E.g. “CC BY 4.0”.")
    licence_url = models.URLField(max_length=500, blank=True)
    attribution = models.CharField(
        max_length=300,
        blank=True,
        help_text="The credit readers see on every entry from this dataset, e.g. “Uppsala "
        "Conflict Data Program (UCDP)”.",
    )
    redistributable = models.BooleanField(
        default=False,
        help_text="Whether its raw rows may be passed on. When off (ACLED's terms), its "
        "entries show on the site with the attribution but stay out of the exports, and "
        "the API leaves out their original values.",
    )
    description = models.TextField(blank=True)

    history = HistoricalRecords(bases=[HistoricalSaveGroup])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ImportRun(models.Model):
    """One file applied to a dataset: what came in, what it changed, who ran it."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        DRY_RUN = "dry_run", "Dry run (nothing written)"
        FAILED = "failed", "Failed (nothing written)"

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="import_runs")
    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=16)
    encoding = models.CharField(max_length=32, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_runs",
    )
    ran_by_name = models.CharField(
        max_length=150, blank=True, help_text="The account that ran the import command."
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    counts = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.dataset} · {self.file_name} · {self.started_at:%Y-%m-%d %H:%M}"


class Entry(Versioned):
    class Kind(models.TextChoices):
        TALKS = "talks", "Talks"
        STATEMENT = "statement", "Statement"
        PROPOSAL = "proposal", "Proposal"
        AGREEMENT = "agreement", "Agreement"
        MISSILE_STRIKE = "missile_strike", "Missile strike"
        DRONE_STRIKE = "drone_strike", "Drone strike"
        COMBINED_STRIKE = "combined_strike", "Combined missile and drone strike"
        INFRASTRUCTURE_STRIKE = "infrastructure_strike", "Strike on infrastructure"
        CROSS_BORDER_STRIKE = "cross_border_strike", "Cross-border strike"
        INTERCEPTION_REPORT = "interception_report", "Interception report"
        CEASEFIRE = "ceasefire", "Ceasefire"
        AIR_OR_DRONE_STRIKE = "air_or_drone_strike", "Air or drone strike"
        SHELLING_ARTILLERY_MISSILE = (
            "shelling_artillery_missile",
            "Shelling, artillery or missile attack",
        )
        REMOTE_EXPLOSIVE = "remote_explosive", "Remote explosive, landmine or IED"
        GRENADE = "grenade", "Grenade"
        SUICIDE_BOMB = "suicide_bomb", "Suicide bomb"
        CHEMICAL_WEAPON = "chemical_weapon", "Chemical weapon"
        ARMED_CLASH = "armed_clash", "Armed clash"
        TERRITORY_CHANGE = "territory_change", "Territory taken or retaken"
        ATTACK_ON_CIVILIANS = "attack_on_civilians", "Attack on civilians"
        SEXUAL_VIOLENCE = "sexual_violence", "Sexual violence"
        ABDUCTION = "abduction", "Abduction or forced disappearance"
        STATE_BASED_VIOLENCE = "state_based_violence", "State-based armed conflict"
        NON_STATE_VIOLENCE = "non_state_violence", "Non-state conflict"
        ONE_SIDED_VIOLENCE = "one_sided_violence", "One-sided violence against civilians"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200, help_text="A plain, factual headline.")
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The last part of the entry's web address, /entries/strikes-on-kyiv/. Do not "
        "change it once published: links to it would break.",
    )
    summary = models.TextField(
        help_text="What happened, in two to four neutral sentences. Shown on the timeline."
    )
    track = models.CharField(
        max_length=16,
        choices=Track.choices,
        help_text="Diplomacy: what was said or agreed about peace. "
        "Military: what was done by force.",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Only published entries are public. Publishing needs the publish permission.",
    )
    occurred_at = models.DateTimeField(
        help_text="When it happened (Kyiv time). With a coarse precision, give the start of the "
        "period: the day at 00:00, the part of the day at its first hour."
    )
    precision = models.CharField(
        max_length=16,
        choices=Precision.choices,
        default=Precision.DAY,
        help_text="How precisely the time is known; readers see the time only to this precision. "
        "Part of the day, by the hour it starts at (give that hour): overnight 00:00, before "
        "dawn 03:00, morning 06:00, afternoon 12:00, evening 18:00, late evening 22:00.",
    )
    ended_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it ended, for events that span time (a weekend of talks).",
    )
    time_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown beside the time: how it was established, e.g. “Date inferred: the "
        "source gives the weekday only.”",
    )
    places = models.ManyToManyField(Place, blank=True, related_name="entries")
    actors = models.ManyToManyField(Actor, through="EntryActor", blank=True, related_name="entries")
    sources = models.ManyToManyField(
        Source,
        blank=True,
        related_name="entries",
        help_text="Every entry needs at least one source before it can be published.",
    )
    coordinate_precision = models.CharField(
        max_length=8,
        choices=Place.CoordinatePrecision.choices,
        blank=True,
        help_text="How close the place's coordinates are to where this happened, when the "
        "source says (an imported event's geo-precision). Empty: as the place says.",
    )
    dataset = models.ForeignKey(
        Dataset,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        help_text="The dataset this entry was imported from. Empty for editors' own entries.",
    )
    external_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The event's id in its dataset (ACLED's event_id_cnty, UCDP's id).",
    )
    raw_row = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The dataset's row as it came, column by column.",
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntryQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[places, sources], excluded_fields=["raw_row"], bases=[HistoricalSaveGroup]
    )

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-occurred_at", "-id"]
        permissions = [("publish_entry", "Can publish and unpublish entries")]
        indexes = [
            models.Index(fields=["status", "-occurred_at", "-id"], name="entry_timeline_idx"),
            models.Index(fields=["status", "track", "-occurred_at"], name="entry_track_idx"),
            models.Index(fields=["kind"], name="entry_kind_idx"),
            models.Index(fields=["updated_at", "id"], name="entry_updated_idx"),
            # The few entries that span time, found by their end (the contrast panel's window
            # reaches back to events still going on when it opens).
            models.Index(
                fields=["ended_at"], condition=Q(ended_at__isnull=False), name="entry_ended_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("occurred_at")),
                name="entry_ends_after_it_starts",
                violation_error_message="The end time must not be before the start time.",
            ),
            models.UniqueConstraint(
                fields=["dataset", "external_id"],
                condition=Q(dataset__isnull=False),
                name="entry_dataset_external_id_unique",
                violation_error_message="This dataset already has an entry with this id.",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self, self.title)
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "published_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("timeline:entry-detail", kwargs={"slug": self.slug})

    def clean(self):
        errors = plausible_time_errors(occurred_at=self.occurred_at, ended_at=self.ended_at)
        if self.track and self.kind and self.kind not in ENTRY_KINDS_BY_TRACK[self.track]:
            errors["kind"] = (
                f"“{self.get_kind_display()}” is not a kind of {self.get_track_display().lower()} "
                "entry. Pick a kind that belongs to the track."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def dataset_accessed_at(self):
        """When the entry's dataset was last read for it: the latest import's source."""
        if not self.dataset_id:
            return None
        moments = [
            source.accessed_at
            for source in self.sources.all()
            if source.publisher == self.dataset.name and source.accessed_at
        ]
        return max(moments, default=None)

    @property
    def time_span_end(self):
        """The last moment the entry's time could refer to, given its precision."""
        if self.ended_at:
            return self.ended_at
        local = timezone.localtime(self.occurred_at)
        span = {
            Precision.EXACT: timedelta(0),
            Precision.PART_OF_DAY: timedelta(hours=6),
            Precision.DAY: timedelta(days=1),
            Precision.SEVERAL_DAYS: timedelta(days=3),
            Precision.WEEK: timedelta(days=7),
            Precision.MONTH: timedelta(days=31),
            Precision.YEAR: timedelta(days=366),
        }[self.precision]
        return local + span

    def current_figures(self):
        """The latest figure per (metric, scope); earlier ones are its revisions.

        Works on prefetched figures (see EntryQuerySet.with_related) without further queries.
        """
        current = []
        for group in self.figure_histories().values():
            standing = [figure for figure in group if not figure.is_error]
            if standing:
                current.append(standing[-1])
        return current

    def figures_counted_once(self, metric, places):
        """The current figures for `metric` that together count everyone once.

        A figure whose scope lies inside the scope of another current figure of the same
        metric (Dniprovskyi district inside Kyiv, Kyiv inside Ukraine) is already counted by
        the broader one and is left out; figures for places apart (Kyiv, Odesa) both stay.
        `places` is a PlaceTree. The public contrast panel and the CSV export both use this.
        """
        current = [
            figure
            for figure in self.current_figures()
            if figure.metric == metric and not figure.breakdown
        ]
        scopes = {figure.scope_id for figure in current}
        return [figure for figure in current if not (places.ancestors(figure.scope_id) & scopes)]

    def figure_histories(self):
        """Figures grouped by the number they report, each group oldest first."""
        groups = OrderedDict()
        for figure in sorted(self.figures.all(), key=Figure.revision_order_key):
            groups.setdefault(figure.number_key, []).append(figure)
        return groups


def validate_publishable(*, status, sources):
    """An entry may go public only with at least one source. Called by admin, API and services."""
    if status == Entry.Status.PUBLISHED and not list(sources):
        raise ValidationError(
            {"sources": "An entry cannot be published without a source. Add at least one source."}
        )


def validate_has_source(sources, *, what):
    """Claims and figures stand on a source; the admin's form says the same words."""
    if not list(sources):
        raise ValidationError({"sources": f"A {what} needs at least one source."})


class EntryActor(models.Model):
    class Role(models.TextChoices):
        INITIATOR = "initiator", "Initiator"
        TARGET = "target", "Target"
        SPEAKER = "speaker", "Speaker"
        MEDIATOR = "mediator", "Mediator"
        PARTY = "party", "Party"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="entry_actors")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="entry_roles")
    role = models.CharField(max_length=16, choices=Role.choices)

    history = HistoricalRecords(bases=[HistoricalSaveGroup])

    class Meta:
        verbose_name = "actor in entry"
        verbose_name_plural = "actors in entry"
        ordering = ["entry", "role", "actor__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "actor", "role"],
                name="entry_actor_role_unique",
                violation_error_message="This actor already has this role in the entry.",
            )
        ]

    def __str__(self):
        return f"{self.actor} ({self.get_role_display()})"


class EntryLink(models.Model):
    class Kind(models.TextChoices):
        RESPONDS_TO = "responds_to", "Responds to"
        RETALIATION_FOR = "retaliation_for", "Retaliation for"
        FOLLOWS = "follows", "Follows"
        CONTRADICTS = "contradicts", "Contradicts"
        CONTEXT = "context", "Context for"

    from_entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="links_out")
    to_entry = models.ForeignKey(
        Entry,
        on_delete=models.CASCADE,
        related_name="links_in",
        help_text="The entry this one responds to, retaliates for, follows…",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords(bases=[HistoricalSaveGroup])

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_entry", "to_entry", "kind"],
                name="entry_link_unique",
                violation_error_message="These entries are already linked this way.",
            ),
            models.CheckConstraint(
                condition=~Q(from_entry=models.F("to_entry")),
                name="entry_link_not_to_itself",
                violation_error_message="An entry cannot be linked to itself.",
            ),
        ]

    def __str__(self):
        return f"{self.from_entry} — {self.get_kind_display().lower()} — {self.to_entry}"


# --- Claims -----------------------------------------------------------------------------


class Assessment(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    CORROBORATED = "corroborated", "Corroborated"
    DISPUTED = "disputed", "Disputed"
    CONTRADICTED = "contradicted", "Contradicted"
    FALSE = "false", "False"
    RETRACTED = "retracted", "Retracted"


class ClaimQuerySet(models.QuerySet):
    def published(self):
        """Claims on published entries: the only claims readers see."""
        return self.filter(entry_is_published())


class Claim(Versioned):
    class Kind(models.TextChoices):
        FACTUAL = "factual", "Factual assertion"
        FIGURE = "figure", "Figure"
        CHARACTERISATION = "characterisation", "Characterisation"
        PREDICTION = "prediction", "Prediction or promise"
        ACCUSATION = "accusation", "Accusation"
        POSITION = "position", "Position"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="claims")
    claimant = models.ForeignKey(
        Actor, on_delete=models.PROTECT, related_name="claims", help_text="Who made the claim."
    )
    said_at = models.DateTimeField(
        null=True, blank=True, help_text="When the claim was made, if known (Kyiv time)."
    )
    quote = models.TextField(
        blank=True,
        help_text="The claimant's exact words, only where the source quotes them. "
        "No quotation marks.",
    )
    paraphrase = models.TextField(help_text="A neutral paraphrase of what was claimed.")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    sources = models.ManyToManyField(
        Source, related_name="claims", help_text="Where the claim is reported. At least one."
    )
    assessment = models.CharField(
        max_length=16,
        choices=Assessment.choices,
        default=Assessment.UNVERIFIED,
        help_text="How the claim stands against the evidence. Anything but “unverified” needs "
        "a date and a reason readers can check.",
    )
    assessed_on = models.DateField(null=True, blank=True, help_text="When the grade was given.")
    assessment_reason = models.TextField(
        blank=True, help_text="Why the claim has this grade, shown to readers."
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order of the claim within its entry."
    )

    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[sources], bases=[HistoricalSaveGroup])

    class Meta:
        ordering = ["entry", "position", "id"]
        indexes = [
            models.Index(fields=["assessment"], name="claim_assessment_idx"),
            # "Does this entry have a claim graded so?", probed per entry while the timeline
            # is walked newest first (EntryQuerySet.with_claims_graded, the claim tracker).
            models.Index(fields=["entry", "assessment"], name="claim_entry_assessment_idx"),
        ]

    def __str__(self):
        text = self.quote or self.paraphrase
        short = text if len(text) <= 80 else text[:77] + "…"
        return f"{self.claimant}: {short}"

    def get_absolute_url(self):
        return f"{self.entry.get_absolute_url()}#claim-{self.pk}"

    def clean(self):
        errors = plausible_time_errors(said_at=self.said_at, assessed_on=self.assessed_on)
        if self.assessment != Assessment.UNVERIFIED:
            if not self.assessed_on:
                errors["assessed_on"] = "Give the date of the assessment."
            if not self.assessment_reason.strip():
                errors["assessment_reason"] = (
                    f"Explain why the claim is graded “{self.get_assessment_display()}”: "
                    "readers see the reason."
                )
        if errors:
            raise ValidationError(errors)


class ClaimEvidence(models.Model):
    class Relation(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        CONTRADICTS = "contradicts", "Contradicts"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    relation = models.CharField(max_length=16, choices=Relation.choices)
    entry = models.ForeignKey(
        Entry,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence_for_claims",
        help_text="An entry that supports or contradicts the claim…",
    )
    other_claim = models.ForeignKey(
        Claim,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence_for_claims",
        help_text="…or another claim that does. Give one of the two.",
    )
    note = models.CharField(max_length=300, blank=True, help_text="How it bears on the claim.")

    history = HistoricalRecords(bases=[HistoricalSaveGroup])

    class Meta:
        verbose_name_plural = "claim evidence"
        ordering = ["relation", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(entry__isnull=False) & Q(other_claim__isnull=True))
                | (Q(entry__isnull=True) & Q(other_claim__isnull=False)),
                name="evidence_is_entry_or_claim",
                violation_error_message="Link the evidence to one entry or one claim, not both.",
            ),
            models.CheckConstraint(
                condition=~Q(other_claim=models.F("claim")),
                name="evidence_not_the_claim_itself",
                violation_error_message="A claim cannot be evidence for itself.",
            ),
        ]

    def __str__(self):
        target = self.entry if self.entry_id else self.other_claim
        return f"{self.get_relation_display()}: {target}"


# --- Figures ---------------------------------------------------------------------------


FIGURE_SOURCE_REQUIRED = "A figure needs a source: pick the document that reported the number."
# A reported number is never overwritten: a new report is a new Figure (see services), and a
# mistaken one is marked as an error by a publisher, never edited or deleted.
FIGURE_VALUE_FIELDS = (
    "entry",
    "metric",
    "scope",
    "scope_label",
    "breakdown",
    "low",
    "best",
    "high",
    "qualifier",
    "as_of",
    "reported_by",
    "source",
)
FIGURE_FOREIGN_KEYS = {"entry", "scope", "reported_by", "source"}
FIGURE_IMMUTABLE = (
    "A recorded number cannot be changed. Record a new report of it instead; a publisher can "
    "mark a mistaken one as an error."
)


class FigureQuerySet(models.QuerySet):
    def counted(self):
        """Figures that stand: those marked as an error stay visible but never count."""
        return self.filter(marked_error_at__isnull=True)

    def total_rows(self, metrics):
        """The rows rollup.totals_by_day needs: standing totals (no breakdown) of `metrics`."""
        return (
            self.counted()
            .filter(metric__in=metrics, breakdown="")
            .order_by()
            .values_list(
                "entry_id",
                "entry__occurred_at",
                "entry__track",
                "entry__kind",
                "metric",
                "scope_id",
                "as_of",
                "id",
                "low",
                "best",
                "high",
                "qualifier",
            )
        )


class Figure(Versioned):
    class Metric(models.TextChoices):
        KILLED = "killed", "Killed"
        INJURED = "injured", "Injured"
        MISSING = "missing", "Missing"
        DRONES_LAUNCHED = "drones_launched", "Drones launched"
        DRONES_INTERCEPTED = "drones_intercepted", "Drones intercepted"
        MISSILES_LAUNCHED = "missiles_launched", "Missiles launched"
        MISSILES_INTERCEPTED = "missiles_intercepted", "Missiles intercepted"
        BUILDINGS_DAMAGED = "buildings_damaged", "Buildings damaged"
        PEOPLE_WITHOUT_POWER = "people_without_power", "People without power"

    class Qualifier(models.TextChoices):
        EXACT = "exact", "Exactly"
        AT_LEAST = "at_least", "At least"
        MORE_THAN = "more_than", "More than"
        ABOUT = "about", "About"
        UP_TO = "up_to", "Up to"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="figures")
    metric = models.CharField(max_length=24, choices=Metric.choices)
    scope = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        related_name="figures",
        help_text="Where the number counts: a district, a city, or a country for a "
        "nationwide total.",
    )
    scope_label = models.CharField(
        max_length=200,
        blank=True,
        help_text="What the number covers in the source's words, when no one place says it "
        "(“several Russian regions and occupied Crimea”). Readers see it instead of the "
        "place's name.",
    )
    breakdown = models.CharField(
        max_length=100,
        blank=True,
        help_text="Whose part of the total this counts, when the source splits it (“civilians”, "
        "“side A: Government of Ukraine”). Empty for the total. Parts never add to totals.",
    )
    low = models.PositiveIntegerField(null=True, blank=True, help_text="Lowest reported value.")
    best = models.PositiveIntegerField(help_text="The number readers see.")
    high = models.PositiveIntegerField(null=True, blank=True, help_text="Highest reported value.")
    qualifier = models.CharField(
        max_length=16,
        choices=Qualifier.choices,
        default=Qualifier.EXACT,
        help_text="How the source words it: “at least 4”, “more than 7”.",
    )
    as_of = models.DateTimeField(
        help_text="When the number was reported (Kyiv time). A new report is a new figure: "
        "never edit an old one, so readers can see how the number changed."
    )
    reported_by = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="figures",
        help_text="Who gave the number. Leave empty when the source reports it in its own "
        "voice (“Nationwide, the strikes killed at least six people”).",
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="figures",
        help_text="Where the number was reported. Required.",
    )
    note = models.CharField(
        max_length=300, blank=True, help_text="Shown with the number, e.g. “including children”."
    )
    marked_error_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a publisher marked this report as recorded in error.",
    )
    marked_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error_reason = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        help_text="Why the report was marked as an error, shown to readers.",
    )

    objects = FigureQuerySet.as_manager()
    history = HistoricalRecords(bases=[HistoricalSaveGroup])

    class Meta:
        ordering = ["entry", "metric", "scope", "as_of", "id"]
        indexes = [
            models.Index(
                fields=["entry", "metric", "scope", "breakdown", "as_of"],
                name="figure_revision_idx",
            ),
            # The figures API's order (newest report first), read off the index.
            models.Index(fields=["-as_of", "-id"], name="figure_as_of_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(low__lte=models.F("best")),
                name="figure_low_not_above_best",
                violation_error_message="The low estimate cannot be above the best estimate.",
            ),
            models.CheckConstraint(
                condition=Q(high__isnull=True) | Q(high__gte=models.F("best")),
                name="figure_high_not_below_best",
                violation_error_message="The high estimate cannot be below the best estimate.",
            ),
        ]

    def __str__(self):
        return f"{self.scope_name}: {self.display_value} {self.get_metric_display().lower()}"

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            self._refuse_changed_values()
        super().save(*args, **kwargs)

    def clean(self):
        errors = plausible_time_errors(as_of=self.as_of)
        if errors:
            raise ValidationError(errors)

    def _refuse_changed_values(self):
        stored = (
            type(self)
            .objects.filter(pk=self.pk)
            .values(
                *(
                    f"{name}_id" if name in FIGURE_FOREIGN_KEYS else name
                    for name in FIGURE_VALUE_FIELDS
                )
            )
            .first()
        )
        if stored is None:
            return
        changed = [
            name
            for name in FIGURE_VALUE_FIELDS
            if stored[f"{name}_id" if name in FIGURE_FOREIGN_KEYS else name]
            != getattr(self, f"{name}_id" if name in FIGURE_FOREIGN_KEYS else name)
        ]
        if changed:
            raise ValidationError(dict.fromkeys(changed, FIGURE_IMMUTABLE))

    @property
    def scope_name(self):
        name = self.scope_label or self.scope.name
        return f"{name}, {self.breakdown}" if self.breakdown else name

    @property
    def number_key(self):
        """Reports with the same key are revisions of one number; the latest is current."""
        return (self.metric, self.scope_id, self.breakdown)

    @property
    def is_error(self):
        return self.marked_error_at is not None

    @staticmethod
    def revision_order_key(figure):
        return (figure.as_of, figure.pk or 0)

    @staticmethod
    def combined_qualifier(qualifiers):
        """How a sum of figures is worded, from how each was: "" when every one is exact,
        "about" when any is "about" or "up to", otherwise "at least" (so "more than 7" plus
        "2" reads "at least 9")."""
        qualifiers = set(qualifiers)
        if qualifiers & {Figure.Qualifier.ABOUT, Figure.Qualifier.UP_TO}:
            return "about"
        if qualifiers - {Figure.Qualifier.EXACT}:
            return "at least"
        return ""

    @property
    def display_value(self):
        """“at least 4”, “4–6”, “about 200”: the number as the source worded it."""
        if self.low is not None and self.high is not None and self.low != self.high:
            number = f"{self.low}–{self.high}"
        else:
            number = f"{self.best}"
        if self.qualifier == self.Qualifier.EXACT:
            return number
        return f"{self.get_qualifier_display().lower()} {number}"

    @property
    def display(self):
        return f"{self.display_value} {self.get_metric_display().lower()}"


# --- Daily roll-up for the pulse chart -------------------------------------------------


class BucketStart(models.Func):
    """The first day of a date's week (Monday) or month, in the engine's own date functions
    (Django's TruncWeek calls back into Python for every row on SQLite)."""

    output_field = models.DateField()

    def __init__(self, expression, *, unit):
        self.unit = unit
        super().__init__(expression)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if self.unit == "week":  # the Sunday on or after it, less six days
            return f"date({sql}, 'weekday 0', '-6 days')", params
        return f"date({sql}, 'start of month')", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        unit = "week" if self.unit == "week" else "month"  # ISO weeks begin on Monday
        return f"DATE_TRUNC('{unit}', {sql})::date", params


def utc_offset_changes(zone, start, end):
    """[(instant, offset)]: `zone`'s UTC offset from `start`, then each instant before `end`
    at which it changes (daylight saving), to the second."""
    changes = [(start, start.astimezone(zone).utcoffset())]
    day = timedelta(days=1)
    moment = start
    while moment < end:
        following = min(moment + day, end)
        offset = following.astimezone(zone).utcoffset()
        if offset != changes[-1][1]:
            # The offset changes once in a day at most: bisect to the second it does.
            low, high = int(moment.timestamp()), int(following.timestamp()) + 1
            while high - low > 1:
                middle = (low + high) // 2
                at_middle = datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset()
                if at_middle == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            changes.append((datetime.fromtimestamp(high, UTC), offset))
        moment = following
    return changes


class LocalDate(TruncDate):
    """The local date (the current time zone's) of a datetime column whose values lie in
    [start, end): TruncDate, but on SQLite in SQLite's own date() instead of a call into
    Python per row (a dense search's chart counted 12,000 rows in 120 ms). Between two
    moments a zone has few offsets, so a CASE on the instants the offset changes picks
    the one to add; a value outside the window still gets the nearest span's offset."""

    def __init__(self, expression, *, start, end):
        super().__init__(expression, tzinfo=timezone.get_current_timezone())
        self.window = (start, end)

    def as_sqlite(self, compiler, connection, **extra):
        if not settings.USE_TZ:
            return super().as_sql(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        changes = utc_offset_changes(self.tzinfo, *self.window)
        branches, branch_params = [], []
        for (_, offset), (until, _) in zip(changes, changes[1:], strict=False):
            branches.append(f"WHEN {sql} < %s THEN date({sql}, %s)")
            branch_params += [
                *params,
                connection.ops.adapt_datetimefield_value(until),
                *params,
                f"{offset.total_seconds():+.0f} seconds",
            ]
        last = f"date({sql}, %s)"
        last_params = [*params, f"{changes[-1][1].total_seconds():+.0f} seconds"]
        if not branches:
            return last, last_params
        return f"CASE {' '.join(branches)} ELSE {last} END", [*branch_params, *last_params]


class RollupQuerySet(models.QuerySet):
    """Reading a day roll-up (DayCount, FilterDayCount): rows per (day, track, kind)."""

    def daily(self, start_day, end_day, *, track="", unit="day"):
        """{(day, track, kind): (entries, killed)} for published entries, days inclusive;
        with `unit` "week" or "month", summed per week (from Monday) or month and keyed by
        its first day. FilterDayCount holds no killed: 0.

        A few rows a day whatever the number of entries. Call rollup.refresh_stale_days()
        first (timeline/pictures.py does) so that the latest writes are in.
        """
        rows = self.filter(day__gte=start_day, day__lte=end_day).order_by()
        if track:
            rows = rows.filter(track=track)
        killed = models.F("killed") if self.model is DayCount else Value(0, models.IntegerField())
        if unit in ("week", "month"):
            bucket = BucketStart("day", unit=unit)
            rows = (
                rows.annotate(bucket=bucket)
                .values_list("bucket", "track", "kind")
                .annotate(models.Sum("entries"), models.Sum(killed))
            )
        else:
            rows = rows.annotate(day_killed=killed).values_list(
                "day", "track", "kind", "entries", "day_killed"
            )
        return {(day, track, kind): (n, killed) for day, track, kind, n, killed in rows}

    def newest_day(self, *, track=""):
        rows = self.filter(entries__gt=0)
        if track:
            rows = rows.filter(track=track)
        return rows.order_by("-day").values_list("day", flat=True).first()


class FilterDayCountQuerySet(RollupQuerySet):
    def of(self, name, value):
        """The rows of one filter's value: `of("place", kyiv)` counts Kyiv and its districts."""
        return self.filter(filter=name, value=FilterDayCount.value_of(name, value))

    def entry_ids(self, start_day, end_day, *, track="", limit=SMALL_SIDE_LIMIT):
        """The ids of the published entries these rows count between two days (inclusive),
        from a few rows a day: None when they are more than `limit` (a region's four
        years), which the caller reads another way. Call rollup.refresh_stale_days() first;
        the ids are candidates, to be put through Entry.objects.published() again."""
        rows = self.filter(day__gte=start_day, day__lte=end_day).order_by()
        if track:
            rows = rows.filter(track=track)
        if (rows.aggregate(n=models.Sum("entries"))["n"] or 0) > limit:
            return None
        return [pk for text in rows.values_list("entry_ids", flat=True) for pk in json.loads(text)]


class DayCount(models.Model):
    """Published entries and their killed per local day, track and kind: the pulse chart's
    roll-up. Derived data, never edited: timeline/rollup.py keeps it in step."""

    day = models.DateField()
    track = models.CharField(max_length=16, choices=Track.choices)
    kind = models.CharField(max_length=32, choices=Entry.Kind.choices)
    entries = models.PositiveIntegerField(default=0)
    killed = models.PositiveIntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "track", "kind"], name="daycount_unique_day")
        ]

    def __str__(self):
        return f"{self.day} {self.track} {self.kind}: {self.entries}"


class FilterDayCount(models.Model):
    """Published entries per local day, track and kind for one value of one timeline filter:
    a place (with everything inside it: Kyiv counts Pechersk's entries), an actor (any role,
    or as claimant) or an assessment (entries with a claim so graded), counted as
    Entry.objects.at_place, involving and with_claims_graded count them. The pulse chart of
    `/?place=`, a place page or an actor page reads a few rows a day from here instead of
    counting thousands of entries. Derived data, never edited: timeline/rollup.py keeps it in
    step with DayCount. Killed figures are not rolled up per filter; the entries' ids are, so
    a window's figures are read for exactly those entries."""

    class Filter(models.TextChoices):
        PLACE = "place", "Place"
        ACTOR = "actor", "Actor"
        ASSESSMENT = "assessment", "Assessment"
        # Not a timeline filter: an actor's published claims at one grade (value "actor
        # id/grade"), whose rows count claims, not entries: an actor's claim record and the
        # claim tracker's count for a claimant, exact at any size (FilterTotal.claims_by_grade).
        CLAIMS = "claims", "Claims by an actor at a grade"
        # Not a filter either, and only in FilterTotal (value ""): every published entry,
        # DayCount summed over every day, so the sitemap index knows how many pages of
        # entries it lists from one row, not a sum over sixteen years of days.
        PUBLISHED = "published", "Every published entry"

    # The timeline's filters with a roll-up (the names of their GET parameters).
    TIMELINE_FILTERS = (Filter.PLACE, Filter.ACTOR, Filter.ASSESSMENT)

    filter = models.CharField(max_length=16, choices=Filter.choices)
    value = models.CharField(max_length=32)  # the place's or actor's id, the assessment
    day = models.DateField()
    track = models.CharField(max_length=16, choices=Track.choices)
    kind = models.CharField(max_length=32, choices=Entry.Kind.choices)
    entries = models.PositiveIntegerField(default=0)
    # The ids of the entries counted, as a JSON array: "a region's entries in these days" is
    # then a few of these rows, read by the unique key, whatever the size of the timeline
    # (a map or a casualty chart of a region would otherwise test every entry of its days).
    entry_ids = models.TextField(default="[]", editable=False)

    objects = FilterDayCountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["filter", "value", "day", "track", "kind"],
                name="filterdaycount_unique_day",
            )
        ]
        # Recomputing a run of days deletes its rows first, whatever the filter.
        indexes = [models.Index(fields=["day"], name="filterdaycount_day")]

    def __str__(self):
        return f"{self.filter} {self.value} {self.day} {self.track} {self.kind}: {self.entries}"

    @staticmethod
    def value_of(name, value):
        return str(value.pk if isinstance(value, models.Model) else value)

    @staticmethod
    def claims_value(actor_id, assessment):
        return f"{actor_id}/{assessment}"


class FilterTotalQuerySet(models.QuerySet):
    def of(self, name, value):
        """Published entries matching one filter value (FilterDayCount's rule), all days:
        0 before the roll-up first counts them. Call rollup.refresh_stale_days() first for
        the exact number; without it the number can lag the latest writes."""
        value = FilterDayCount.value_of(name, value)
        rows = self.filter(filter=name, value=value).values_list("entries", flat=True)
        return rows.first() or 0

    def claims_by_grade(self, actor):
        """{assessment: the actor's published claims so graded}, in one query of a few rows
        (FilterDayCount.Filter.CLAIMS). Call rollup.refresh_stale_days() first."""
        prefix = FilterDayCount.claims_value(actor.pk, "")
        rows = self.filter(filter=FilterDayCount.Filter.CLAIMS, value__startswith=prefix)
        return {
            value.removeprefix(prefix): n for value, n in rows.values_list("value", "entries") if n
        }


class FilterTotal(models.Model):
    """FilterDayCount summed over every day: a place's, an actor's or a grade's published
    entries, so that "N entries" is exact and one row's read at any size, and a filter
    knows before reading any candidate whether it has few (read their ids) or many (walk
    the timeline). Derived data, kept in step with FilterDayCount by timeline/rollup.py."""

    filter = models.CharField(max_length=16, choices=FilterDayCount.Filter.choices)
    value = models.CharField(max_length=32)
    entries = models.IntegerField(default=0)

    objects = FilterTotalQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["filter", "value"], name="filtertotal_unique_value")
        ]

    def __str__(self):
        return f"{self.filter} {self.value}: {self.entries}"


class StaleDay(models.Model):
    """A UTC date whose entries or killed figures changed since the roll-up was computed.

    Written by database triggers (timeline/rollup.py) on every insert, update and delete of
    an entry or a killed figure, bulk_create and raw SQL included; emptied by the next read.
    """

    day = models.DateField(primary_key=True)

    def __str__(self):
        return str(self.day)

    @staticmethod
    def mark(entries):
        """Mark the UTC dates of these entries stale, as the triggers do, for a change the
        triggers cannot see (a place moved under another)."""
        days = (
            entries.order_by()
            .annotate(utc_day=TruncDate("occurred_at", tzinfo=UTC))
            .values_list("utc_day", flat=True)
            .distinct()
        )
        StaleDay.objects.bulk_create([StaleDay(day=day) for day in days], ignore_conflicts=True)
