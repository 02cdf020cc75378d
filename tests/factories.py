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
