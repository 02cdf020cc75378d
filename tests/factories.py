import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from timeline.models import (
    Actor,
    Claim,
    ClaimEvidence,
    Entry,
    EntryActor,
    EntryLink,
    Figure,
    Place,
    Source,
)
from timeline.rollup import refresh_stale_days

BASE_TIME = timezone.make_aware(dt.datetime(2025, 11, 25, 4, 0))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(extracted)
        if create:
            self.save()


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Actor {n}")
    slug = factory.Sequence(lambda n: f"actor-{n}")
    kind = Actor.Kind.GOVERNMENT_BODY
    side_id = "ukraine"
    country = "Ukraine"


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"Place {n}")
    slug = factory.Sequence(lambda n: f"place-{n}")
    kind = Place.Kind.CITY


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Report {n}")
    publisher = "Example News"
    url = factory.Sequence(lambda n: f"https://news.example.org/report-{n}")
    source_type = Source.Type.NEWS_REPORT


class EntryFactory(factory.django.DjangoModelFactory):
    """A published military entry with one source; pass status=... for drafts."""

    class Meta:
        model = Entry
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Strike number {n}")
    slug = factory.Sequence(lambda n: f"strike-number-{n}")
    summary = "Missiles and drones hit the city overnight."
    track = "military"
    kind = Entry.Kind.COMBINED_STRIKE
    status = Entry.Status.PUBLISHED
    occurred_at = factory.Sequence(lambda n: BASE_TIME - dt.timedelta(hours=n))
    precision = "part_of_day"

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if not create:
            return
        self.sources.set(extracted if extracted is not None else [SourceFactory()])

    @factory.post_generation
    def places(self, create, extracted, **kwargs):
        if create and extracted:
            self.places.set(extracted)


class DiplomacyEntryFactory(EntryFactory):
    title = factory.Sequence(lambda n: f"Talks round {n}")
    slug = factory.Sequence(lambda n: f"talks-round-{n}")
    summary = "Delegations met to discuss the peace plan."
    track = "diplomacy"
    kind = Entry.Kind.TALKS
    precision = "day"


class EntryActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EntryActor

    entry = factory.SubFactory(EntryFactory)
    actor = factory.SubFactory(ActorFactory)
    role = EntryActor.Role.INITIATOR


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim
        skip_postgeneration_save = True

    entry = factory.SubFactory(EntryFactory)
    claimant = factory.SubFactory(ActorFactory)
    quote = "a peace deal is within reach"
    paraphrase = "Says a peace deal is close."
    kind = Claim.Kind.PREDICTION

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if not create:
            return
        self.sources.set(extracted if extracted is not None else [SourceFactory()])


class ClaimEvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimEvidence

    claim = factory.SubFactory(ClaimFactory)
    relation = ClaimEvidence.Relation.CONTRADICTS
    entry = factory.SubFactory(EntryFactory)


class FigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Figure

    entry = factory.SubFactory(EntryFactory)
    metric = Figure.Metric.KILLED
    scope = factory.SubFactory(PlaceFactory)
    best = 4
    qualifier = Figure.Qualifier.AT_LEAST
    as_of = factory.LazyAttribute(lambda figure: figure.entry.occurred_at + dt.timedelta(hours=2))
    reported_by = factory.SubFactory(ActorFactory)
    source = factory.SubFactory(SourceFactory)


class EntryLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EntryLink

    from_entry = factory.SubFactory(EntryFactory)
    to_entry = factory.SubFactory(EntryFactory)
    kind = EntryLink.Kind.RETALIATION_FOR


def build_timeline(size):
    """`size` published entries with places, actors, claims, evidence, figures and links,
    built with bulk_create (plus a draft for every tenth, which must not change the count)."""
    ukraine = Place.objects.create(name="Ukraine", slug="ukraine", kind=Place.Kind.COUNTRY)
    kyiv = Place.objects.create(name="Kyiv", slug="kyiv", kind=Place.Kind.CITY, parent=ukraine)
    districts = Place.objects.bulk_create(
        Place(name=f"District {n}", slug=f"district-{n}", kind=Place.Kind.DISTRICT, parent=kyiv)
        for n in range(5)
    )
    Place.objects.store_paths()
    actors = Actor.objects.bulk_create(
        Actor(name=f"Actor {n}", slug=f"actor-{n}", kind=Actor.Kind.OFFICIAL, side_id="russia")
        for n in range(8)
    )
    sources = Source.objects.bulk_create(
        Source(title=f"Report {n}", url=f"https://example.org/{n}") for n in range(4)
    )
    start = BASE_TIME
    entries = Entry.objects.bulk_create(
        Entry(
            title=f"Entry {n} strike",
            slug=f"entry-{n}",
            summary="Something happened.",
            track="military" if n % 2 else "diplomacy",
            kind=Entry.Kind.COMBINED_STRIKE if n % 2 else Entry.Kind.TALKS,
            status="draft" if n % 11 == 10 else "published",
            occurred_at=start - dt.timedelta(hours=5 * n),
            precision="part_of_day",
        )
        for n in range(size + size // 10)
    )
    through = Entry.places.through
    through.objects.bulk_create(
        through(entry_id=e.pk, place_id=districts[i % 5].pk) for i, e in enumerate(entries)
    )
    Entry.sources.through.objects.bulk_create(
        Entry.sources.through(entry_id=e.pk, source_id=sources[i % 4].pk)
        for i, e in enumerate(entries)
    )
    EntryActor.objects.bulk_create(
        EntryActor(entry=e, actor=actors[i % 8], role="initiator") for i, e in enumerate(entries)
    )
    claims = Claim.objects.bulk_create(
        Claim(
            entry=e,
            claimant=actors[(i + k) % 8],
            quote=f"claim {k} about entry {i}",
            paraphrase="A claim.",
            kind="factual",
            assessment=["unverified", "disputed", "contradicted"][(i + k) % 3],
            assessed_on=dt.date(2025, 11, 25),
            assessment_reason="Because.",
            position=k,
        )
        for i, e in enumerate(entries)
        for k in range(2)
    )
    Claim.sources.through.objects.bulk_create(
        Claim.sources.through(claim_id=c.pk, source_id=sources[i % 4].pk)
        for i, c in enumerate(claims)
    )
    ClaimEvidence.objects.bulk_create(
        ClaimEvidence(claim=c, relation="contradicts", entry=entries[(i + 1) % len(entries)])
        for i, c in enumerate(claims[::2])
    )
    Figure.objects.bulk_create(
        Figure(
            entry=e,
            metric=metric,
            scope=scope,
            best=best,
            qualifier="at_least",
            as_of=e.occurred_at + dt.timedelta(hours=hours),
            reported_by=actors[0],
            source=sources[0],
        )
        for i, e in enumerate(entries)
        for metric, scope, best, hours in (
            ("killed", kyiv, 4, 1),
            ("killed", kyiv, 6, 5),
            ("killed", districts[i % 5], 2, 2),
            ("injured", kyiv, 7, 1),
        )
    )
    EntryLink.objects.bulk_create(
        EntryLink(from_entry=e, to_entry=entries[i - 1], kind="follows")
        for i, e in enumerate(entries)
        if i
    )
    published = [e for e in entries if e.status == "published"]
    assert len(published) == size
    # The pulse chart's roll-up catches up with these writes on its first read; do it here so
    # that the pages are measured as every later reader meets them.
    refresh_stale_days()
    return published[len(published) // 2]
