"""Builders shared by the API and export tests (the factories stay in tests/factories.py)."""

import datetime as dt

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from timeline.models import Actor, Claim, Entry, EntryActor, Figure, Place, Source

from . import factories


def token_client(user):
    """A client authenticated the way a script is: with the user's API token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def rich_entry(**kwargs):
    """A published strike with everything a list item shows: places with coordinates,
    actors with roles, a graded claim, a revised figure and sources."""
    ukraine = Place.objects.filter(slug="ukraine").first() or factories.PlaceFactory(
        name="Ukraine", slug="ukraine", kind=Place.Kind.COUNTRY
    )
    kyiv_region = Place.objects.filter(slug="kyiv-oblast").first() or factories.PlaceFactory(
        name="Kyiv Oblast", slug="kyiv-oblast", kind=Place.Kind.REGION, parent=ukraine
    )
    kyiv = Place.objects.filter(slug="kyiv").first() or factories.PlaceFactory(
        name="Kyiv",
        slug="kyiv",
        kind=Place.Kind.CITY,
        parent=kyiv_region,
        latitude="50.450100",
        longitude="30.523400",
        coordinate_precision="city",
    )
    source = factories.SourceFactory(title="Kyiv hit overnight", publisher="Kyiv Independent")
    entry = factories.EntryFactory(sources=[source], places=[kyiv], **kwargs)
    russia = factories.ActorFactory(name="Russian armed forces", side_id="russia")
    mayor = factories.ActorFactory(name="Kyiv mayor")
    EntryActor.objects.create(entry=entry, actor=russia, role=EntryActor.Role.INITIATOR)
    EntryActor.objects.create(entry=entry, actor=mayor, role=EntryActor.Role.SPEAKER)
    factories.ClaimFactory(
        entry=entry,
        claimant=mayor,
        quote="several districts were hit",
        assessment="corroborated",
        assessed_on=dt.date(2025, 11, 26),
        assessment_reason="Photographs from two agencies.",
        sources=[source],
    )
    first = factories.FigureFactory(
        entry=entry, scope=kyiv, best=4, reported_by=mayor, source=source
    )
    factories.FigureFactory(
        entry=entry,
        scope=kyiv,
        best=6,
        reported_by=mayor,
        source=source,
        as_of=first.as_of + dt.timedelta(hours=8),
    )
    return entry


def snapshot():
    """Everything a write could change, to prove that a refused one changed nothing."""
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Entry, Claim, Figure, Actor, Place, Source, EntryActor)
    } | {
        "entries": list(Entry.objects.order_by("pk").values()),
        "claims": list(Claim.objects.order_by("pk").values()),
        "figures": list(Figure.objects.order_by("pk").values()),
    }


def walk(client, url, params=None):
    """Follow `next` links to the end; return every item seen, in order."""
    items = []
    response = client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        items.extend(body["results"])
        if not body["next"]:
            return items
        response = client.get(body["next"])
