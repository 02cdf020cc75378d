"""Parallax's domain: who said what about peace, what was done by force, and on what source."""

from collections import OrderedDict
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords


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


# --- Actors and places ---------------------------------------------------------------


class Side(models.TextChoices):
    RUSSIA = "russia", "Russia"
    UKRAINE = "ukraine", "Ukraine"
    THIRD_PARTY = "third_party", "Third party"


class Actor(models.Model):
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
        help_text="Used in the actor's web address (/actors/<slug>/). Keep it stable.",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    side = models.CharField(
        max_length=16,
        choices=Side.choices,
        default=Side.THIRD_PARTY,
        help_text="Which side of the war the actor belongs to. Claims by Russia or Ukraine are "
        "marked to readers as claims by a party to the conflict.",
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
        blank=True, help_text="Other names, one per line. Searched, not shown as the name."
    )
    description = models.TextField(blank=True, help_text="One or two neutral sentences.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self, self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("timeline:actor-detail", kwargs={"slug": self.slug})

    @property
    def is_party_to_conflict(self):
        return self.side in (Side.RUSSIA, Side.UKRAINE)

    @property
    def alias_list(self):
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


# Place kinds run country → region → city → district → site, so a place has at most four
# generations below it: "inside a place" is one subquery, with no recursion.
PLACE_DEPTH = 4


class PlaceQuerySet(models.QuerySet):
    def within(self, place):
        """`place` and every place inside it: Kyiv, and Pechersk district in Kyiv."""
        condition = Q(pk=place.pk)
        lookup = "parent"
        for _ in range(PLACE_DEPTH):
            condition |= Q(**{lookup: place})
            lookup += "__parent"
        return self.filter(condition)


class Place(models.Model):
    class Kind(models.TextChoices):
        COUNTRY = "country", "Country"
        REGION = "region", "Region (oblast)"
        CITY = "city", "City"
        DISTRICT = "district", "District"
        SITE = "site", "Site"

    class CoordinatePrecision(models.TextChoices):
        EXACT = "exact", "Exact location"
        NEAR = "near", "Near the location (within a few km)"
        CITY = "city", "City centre"
        REGION = "region", "Centre of the region"

    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="Used in the place's web address (/places/<slug>/).",
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
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
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
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("timeline:place-detail", kwargs={"slug": self.slug})

    def clean(self):
        if (
            self.latitude is not None
            and self.longitude is not None
            and not self.coordinate_precision
        ):
            raise ValidationError({"coordinate_precision": "Say how precise the coordinates are."})
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": "A place cannot lie within itself."})

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None


class PlaceTree:
    """Every place's parent, kind and name, read in one query: ancestry without a query per row."""

    def __init__(self):
        self.rows = {
            row["id"]: row for row in Place.objects.values("id", "parent_id", "kind", "name")
        }

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


class Source(models.Model):
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

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return f"{self.publisher}: {self.title}" if self.publisher else self.title


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


class EntryQuerySet(models.QuerySet):
    def published(self):
        """The one gate to everything public: pages, API, feed, sitemap and exports."""
        return self.filter(status=Entry.Status.PUBLISHED)

    def at_place(self, place):
        """Entries at `place` or anywhere inside it: Kyiv matches an entry in Pechersk."""
        located = Entry.places.through.objects.filter(
            entry=models.OuterRef("pk"), place__in=Place.objects.within(place).values("pk")
        )
        return self.filter(models.Exists(located))

    def with_related(self):
        """Everything a timeline card or an API list item shows, in a fixed number of queries."""
        return self.prefetch_related(
            "places",
            "sources",
            models.Prefetch("entry_actors", queryset=EntryActor.objects.select_related("actor")),
            models.Prefetch(
                "claims",
                queryset=Claim.objects.select_related("claimant").order_by("position", "id"),
            ),
            models.Prefetch(
                "figures",
                queryset=Figure.objects.select_related("scope", "reported_by", "source"),
            ),
        )


ENTRY_KINDS_BY_TRACK = {
    Track.DIPLOMACY: {"talks", "statement", "proposal", "agreement"},
    Track.MILITARY: {
        "missile_strike",
        "drone_strike",
        "combined_strike",
        "infrastructure_strike",
        "cross_border_strike",
        "interception_report",
    },
}


class Entry(models.Model):
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

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200, help_text="A plain, factual headline.")
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The entry's web address (/entries/<slug>/). Do not change it once published: "
        "links to it would break.",
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
        help_text="How precisely the time is known. Readers see the time only to this precision.",
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
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntryQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[places, sources])

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-occurred_at", "-id"]
        permissions = [("publish_entry", "Can publish and unpublish entries")]
        indexes = [
            models.Index(fields=["status", "-occurred_at", "-id"], name="entry_timeline_idx"),
            models.Index(fields=["status", "track", "-occurred_at"], name="entry_track_idx"),
            models.Index(fields=["kind"], name="entry_kind_idx"),
            models.Index(fields=["updated_at", "id"], name="entry_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("occurred_at")),
                name="entry_ends_after_it_starts",
                violation_error_message="The end time must not be before the start time.",
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
        errors = {}
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
        }[self.precision]
        return local + span

    def current_figures(self):
        """The latest figure per (metric, scope); earlier ones are its revisions.

        Works on prefetched figures (see EntryQuerySet.with_related) without further queries.
        """
        return [group[-1] for group in self.figure_histories().values()]

    def figures_counted_once(self, metric, places):
        """The current figures for `metric` that together count everyone once.

        A figure whose scope lies inside the scope of another current figure of the same
        metric (Dniprovskyi district inside Kyiv, Kyiv inside Ukraine) is already counted by
        the broader one and is left out; figures for places apart (Kyiv, Odesa) both stay.
        `places` is a PlaceTree. The public contrast panel and the CSV export both use this.
        """
        current = [figure for figure in self.current_figures() if figure.metric == metric]
        scopes = {figure.scope_id for figure in current}
        return [figure for figure in current if not (places.ancestors(figure.scope_id) & scopes)]

    def figure_histories(self):
        """Figures grouped by (metric, scope), each group oldest first."""
        groups = OrderedDict()
        for figure in sorted(self.figures.all(), key=Figure.revision_order_key):
            groups.setdefault((figure.metric, figure.scope_id), []).append(figure)
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

    history = HistoricalRecords()

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

    history = HistoricalRecords()

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


class Claim(models.Model):
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

    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["entry", "position", "id"]
        indexes = [models.Index(fields=["assessment"], name="claim_assessment_idx")]

    def __str__(self):
        text = self.quote or self.paraphrase
        short = text if len(text) <= 80 else text[:77] + "…"
        return f"{self.claimant}: {short}"

    def get_absolute_url(self):
        return f"{self.entry.get_absolute_url()}#claim-{self.pk}"

    def clean(self):
        if self.assessment != Assessment.UNVERIFIED:
            errors = {}
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

    history = HistoricalRecords()

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
# A reported number is never overwritten: a new report is a new Figure (see services).
FIGURE_VALUE_FIELDS = ("metric", "scope", "low", "best", "high", "qualifier", "as_of")


class Figure(models.Model):
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
        Actor, on_delete=models.PROTECT, related_name="figures", help_text="Who gave the number."
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

    history = HistoricalRecords()

    class Meta:
        ordering = ["entry", "metric", "scope", "as_of", "id"]
        indexes = [
            models.Index(fields=["entry", "metric", "scope", "as_of"], name="figure_revision_idx"),
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
        return f"{self.scope.name}: {self.display_value} {self.get_metric_display().lower()}"

    @staticmethod
    def revision_order_key(figure):
        return (figure.as_of, figure.pk or 0)

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
