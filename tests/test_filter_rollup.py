"""The filter roll-up (FilterDayCount, FilterTotal): the pulse chart and the count of one
place, actor or grade hold exactly what the timeline's filter matches, through every kind
of write."""

import datetime as dt
import random
import re
from collections import defaultdict

import pytest
from django.utils import timezone

from tests import factories
from timeline.models import (
    Actor,
    Assessment,
    Claim,
    Entry,
    EntryActor,
    FilterDayCount,
    FilterTotal,
    Place,
)
from timeline.rollup import refresh_stale_days, rollup_rebuild

FIRST, LAST = dt.date(2025, 11, 1), dt.date(2025, 11, 12)


def at(day, hour=12):
    return timezone.make_aware(dt.datetime(2025, 11, day, hour))


def live_counts(entries):
    start = timezone.make_aware(dt.datetime.combine(FIRST, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(LAST + dt.timedelta(days=1), dt.time.min))
    return {key: (n, 0) for key, n in entries.daily_counts(start, end).items()}


def assert_roll_up_matches_the_filters():
    refresh_stale_days()
    published = Entry.objects.published()
    checked = 0
    subjects = [
        *(("place", place, published.at_place(place)) for place in Place.objects.all()),
        *(("actor", actor, published.involving(actor)) for actor in Actor.objects.all()),
        *(("assessment", grade, published.with_claims_graded(grade)) for grade in Assessment),
    ]
    for name, value, entries in subjects:
        rolled = FilterDayCount.objects.of(name, value).daily(FIRST, LAST)
        assert rolled == live_counts(entries), (name, str(value))
        listed = FilterDayCount.objects.of(name, value).entry_ids(FIRST, LAST)
        assert sorted(listed) == sorted(entries.values_list("pk", flat=True)), (name, str(value))
        assert FilterTotal.objects.of(name, value) == entries.count(), (name, str(value))
        checked += sum(n for n, _ in rolled.values())
    assert checked, "nothing was counted: the comparison would prove nothing"
    claims = Claim.objects.published()
    for actor in Actor.objects.all():
        live = defaultdict(int)
        for grade in claims.filter(claimant=actor).values_list("assessment", flat=True):
            live[grade] += 1
        assert FilterTotal.objects.claims_by_grade(actor) == live, actor.name
    assert FilterTotal.objects.of("published", "") == published.count()


@pytest.fixture
def story(db):
    """Two regions with towns and a district, four actors, forty entries over ten days with
    places, actors in roles, claims in every grade, a few drafts."""
    rng = random.Random(11)
    ukraine = factories.PlaceFactory(name="Ukraine", kind=Place.Kind.COUNTRY)
    regions = [
        factories.PlaceFactory(name=name, parent=ukraine, kind=Place.Kind.REGION)
        for name in ("Kyiv Oblast", "Odesa Oblast")
    ]
    towns = [
        factories.PlaceFactory(name=f"Town {i}", parent=regions[i % 2], kind=Place.Kind.CITY)
        for i in range(4)
    ]
    district = factories.PlaceFactory(name="Pechersk", parent=towns[0], kind=Place.Kind.DISTRICT)
    leaves = [*towns, district]
    actors = [factories.ActorFactory() for _ in range(4)]
    for i in range(40):
        factory = factories.EntryFactory if i % 3 else factories.DiplomacyEntryFactory
        entry = factory(
            occurred_at=at(rng.randint(2, 11), rng.randint(0, 23)),
            status=Entry.Status.DRAFT if i % 9 == 0 else Entry.Status.PUBLISHED,
            places=rng.sample(leaves, rng.randint(0, 2)),
        )
        for actor in rng.sample(actors, rng.randint(0, 2)):
            factories.EntryActorFactory(
                entry=entry, actor=actor, role=rng.choice(["target", "party"])
            )
        for _ in range(rng.randint(0, 2)):
            factories.ClaimFactory(
                entry=entry, claimant=rng.choice(actors), assessment=rng.choice(Assessment.values)
            )
    return {"regions": regions, "towns": towns, "district": district, "actors": actors}


def test_the_roll_up_counts_what_each_filter_matches(story):
    assert_roll_up_matches_the_filters()
    rollup_rebuild()
    assert_roll_up_matches_the_filters()


def each_change_shows(changes):
    """Make the changes one at a time, checking the roll-up after each: a change that
    leaves no stale day behind shows as a mismatch."""
    assert_roll_up_matches_the_filters()
    for change in changes:
        change()
        assert_roll_up_matches_the_filters()


def test_the_roll_up_follows_status_time_and_deletion(story):
    def publish_a_draft():
        draft = Entry.objects.filter(status=Entry.Status.DRAFT).first()
        draft.status = Entry.Status.PUBLISHED
        draft.save()

    def unpublish():
        entry = Entry.objects.published().filter(claims__isnull=False).first()
        entry.status = Entry.Status.DRAFT
        entry.save()

    def move_in_time():
        entry = Entry.objects.published().filter(places__isnull=False).last()
        entry.occurred_at = at(3, 1)
        entry.save()

    def delete():
        Entry.objects.published().filter(entry_actors__isnull=False).first().delete()

    each_change_shows([publish_a_draft, unpublish, move_in_time, delete])


def test_the_roll_up_follows_places_actors_and_claims(story):
    published = Entry.objects.published()
    actors = story["actors"]

    def remove_places():
        published.filter(places__isnull=False).first().places.clear()

    def add_a_place():
        published.filter(places__isnull=True).first().places.add(story["district"])

    def remove_an_actor():
        EntryActor.objects.filter(entry__status=Entry.Status.PUBLISHED).first().delete()

    def add_an_actor():
        entry = published.exclude(entry_actors__actor=actors[3]).last()
        factories.EntryActorFactory(entry=entry, actor=actors[3], role="initiator")

    def change_an_actors_role_and_actor():
        role = EntryActor.objects.filter(entry__status=Entry.Status.PUBLISHED).last()
        role.actor = actors[0] if role.actor != actors[0] else actors[1]
        role.role = "mediator"  # no one mediates in the story: the row stays unique
        role.save()

    def regrade_a_claim():
        claim = Claim.objects.filter(entry__status=Entry.Status.PUBLISHED).first()
        claim.assessment = "false" if claim.assessment != "false" else "disputed"
        claim.save()

    def change_a_claimant():
        claim = Claim.objects.filter(entry__status=Entry.Status.PUBLISHED).first()
        claim.claimant = actors[0] if claim.claimant != actors[0] else actors[1]
        claim.save()

    def move_a_claim_to_another_entry():
        claim = Claim.objects.filter(entry__status=Entry.Status.PUBLISHED).last()
        claim.entry = published.exclude(pk=claim.entry_id).filter(claims__isnull=True).first()
        claim.save()

    def delete_a_claim():
        Claim.objects.filter(entry__status=Entry.Status.PUBLISHED).last().delete()

    each_change_shows(
        [
            remove_places,
            add_a_place,
            remove_an_actor,
            add_an_actor,
            change_an_actors_role_and_actor,
            regrade_a_claim,
            change_a_claimant,
            move_a_claim_to_another_entry,
            delete_a_claim,
        ]
    )


def test_a_place_moved_to_another_region_takes_its_counts_along(story):
    assert_roll_up_matches_the_filters()
    town = story["towns"][0]  # holds the district: both move
    kyiv_region, odesa_region = story["regions"]
    assert town.parent == kyiv_region
    before = FilterDayCount.objects.of("place", odesa_region).daily(FIRST, LAST)
    town.parent = odesa_region
    town.save()
    assert_roll_up_matches_the_filters()
    assert FilterDayCount.objects.of("place", odesa_region).daily(FIRST, LAST) != before


def charted_days(html):
    """{day: (military, diplomatic)} as the pulse chart's day links tell them."""
    days = {}
    for day, said in re.findall(r'data-day="([0-9-]+)"><title>[^:<]*: ([^<]*)</title>', html):
        military = re.search(r"([0-9,]+) military event", said)
        diplomatic = re.search(r"([0-9,]+) diplomatic event", said)
        days[day] = tuple(int(m.group(1)) if m else 0 for m in (military, diplomatic))
    return days


def expected_days(entries):
    days = defaultdict(lambda: [0, 0])
    for (day, track, _), (n, _) in live_counts(entries).items():
        days[day.isoformat()][track == "diplomacy"] += n
    return {day: tuple(counts) for day, counts in days.items()}


def test_timeline_place_and_actor_pages_chart_what_their_filter_matches(client, story):
    region, actor = story["regions"][0], story["actors"][2]
    published = Entry.objects.published()
    pages = {
        f"/?place={region.slug}": published.at_place(region),
        region.get_absolute_url(): published.at_place(region),
        f"/?actor={actor.slug}&track=military": published.involving(actor).filter(track="military"),
        actor.get_absolute_url(): published.involving(actor),
        "/?assessment=false": published.with_claims_graded("false"),
    }
    for url, entries in pages.items():
        expected = expected_days(entries)
        assert expected, url
        html = client.get(url).content.decode()
        assert charted_days(html) == expected, url
        # The diplomacy marked on the chart's top line: the filter's own, read by the ids
        # its roll-up holds; none on a chart of the military track.
        marked = set(re.findall(r'<a class="pulse-marker" href="([^"]+)"', html))
        diplomacy = entries.filter(track="diplomacy")
        assert marked == {entry.get_absolute_url() for entry in diplomacy}, url
        assert marked or "track=military" in url, url
    # A write after the page was drawn shows on the next one.
    entry = published.at_place(region).order_by("-occurred_at").first()
    entry.places.clear()
    expected = expected_days(published.at_place(region))
    assert charted_days(client.get(region.get_absolute_url()).content.decode()) == expected
