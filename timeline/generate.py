"""Synthetic data at size: for benchmarks and for trying Parallax with a million entries.

`generate_entries(n, seed=...)` adds `n` entries beside whatever the database holds. The
same seed on the same database gives the same rows. Everything is written with bulk_create
in batches (no save(), no history rows), so a million entries take minutes, not hours.

The shape follows real datasets: a place tree (a country, its regions, districts and towns),
hundreds of actors on both sides and third parties, both tracks (about one entry in five is
diplomacy), claims on about 40% of entries, figures on about half (half of those revised
once or twice), several sources, mostly published with some drafts and entries in review,
and most military entries imported from a synthetic dataset, the rest editors' own.
"""

import datetime as dt
import random

from django.db import connection, transaction
from django.utils import timezone

from .models import (
    Actor,
    Claim,
    Dataset,
    Entry,
    EntryActor,
    Figure,
    Place,
    PlaceAlias,
    Precision,
    Source,
    Track,
    name_key,
)
from .search import search_index_deferred
from .services import database_statistics_refresh

PREFIX = "gen"
BATCH = 5000
# The newest generated entry's moment; each entry is older than the one before it, and a
# later run with the same seed carries on further back. About 166 entries a day (60,000 a
# year: a busy war in the conflict-event datasets), so 10,000 entries fill the 60 days that
# the timeline's chart and the map show by default, as a million do, and a million reach
# back sixteen years.
LATEST = timezone.make_aware(dt.datetime(2026, 2, 23, 4, 0), dt.UTC)
SECONDS_PER_ENTRY = 520

REGIONS = [
    ("Kyiv Oblast", ["Kiev Oblast"]),
    ("Kharkiv Oblast", ["Kharkov Oblast"]),
    ("Odesa Oblast", ["Odessa Oblast"]),
    ("Dnipropetrovsk Oblast", []),
    ("Zaporizhzhia Oblast", ["Zaporozhye Oblast"]),
    ("Donetsk Oblast", []),
    ("Luhansk Oblast", ["Lugansk Oblast"]),
    ("Kherson Oblast", []),
    ("Mykolaiv Oblast", ["Nikolaev Oblast"]),
    ("Sumy Oblast", []),
    ("Chernihiv Oblast", ["Chernigov Oblast"]),
    ("Poltava Oblast", []),
    ("Lviv Oblast", ["Lvov Oblast"]),
    ("Vinnytsia Oblast", []),
    ("Zhytomyr Oblast", []),
    ("Cherkasy Oblast", []),
    ("Kirovohrad Oblast", []),
    ("Khmelnytskyi Oblast", []),
    ("Rivne Oblast", []),
    ("Volyn Oblast", []),
    ("Ternopil Oblast", []),
    ("Ivano-Frankivsk Oblast", []),
    ("Zakarpattia Oblast", []),
    ("Chernivtsi Oblast", []),
    ("Crimea", ["Krym"]),
    ("Kyiv City", ["Kiev"]),
    ("Sevastopol", []),
]
# About the middle of each region (latitude, longitude) and how far its towns lie from it:
# a region's entries are drawn in its part of the map, as real ones are.
REGION_CENTRES = {
    "Kyiv Oblast": (50.3, 30.6),
    "Kharkiv Oblast": (49.6, 36.6),
    "Odesa Oblast": (46.8, 29.9),
    "Dnipropetrovsk Oblast": (48.3, 34.9),
    "Zaporizhzhia Oblast": (47.4, 35.7),
    "Donetsk Oblast": (48.1, 37.8),
    "Luhansk Oblast": (48.8, 39.1),
    "Kherson Oblast": (46.6, 33.5),
    "Mykolaiv Oblast": (47.3, 31.9),
    "Sumy Oblast": (51.0, 34.1),
    "Chernihiv Oblast": (51.4, 32.1),
    "Poltava Oblast": (49.6, 33.9),
    "Lviv Oblast": (49.8, 23.9),
    "Vinnytsia Oblast": (49.0, 28.6),
    "Zhytomyr Oblast": (50.6, 28.4),
    "Cherkasy Oblast": (49.2, 31.5),
    "Kirovohrad Oblast": (48.4, 32.0),
    "Khmelnytskyi Oblast": (49.4, 26.9),
    "Rivne Oblast": (51.0, 26.3),
    "Volyn Oblast": (51.2, 24.8),
    "Ternopil Oblast": (49.4, 25.5),
    "Ivano-Frankivsk Oblast": (48.8, 24.6),
    "Zakarpattia Oblast": (48.4, 23.2),
    "Chernivtsi Oblast": (48.3, 25.9),
    "Crimea": (45.3, 34.2),
    "Kyiv City": (50.45, 30.52),
    "Sevastopol": (44.6, 33.5),
}
REGION_SPREAD = {"Kyiv City": (0.1, 0.15), "Sevastopol": (0.1, 0.15)}  # degrees either way
OBLAST_SPREAD = (0.6, 0.9)
DISTRICTS_PER_REGION = 5
SYLLABLES = [
    "bor", "vol", "hor", "dub", "lyp", "myr", "nov", "ozer", "pol", "ryb", "sos", "tern",
    "ber", "kam", "lis", "mal", "vyn", "zel", "bil", "chor", "dol", "kor", "stav", "yar",
]  # fmt: skip
SUFFIXES = ["ivka", "yne", "ove", "ivske", "ky", "iv", "ets", "ynka", "hrad", "ske"]

ACTOR_KINDS = [
    Actor.Kind.ARMED_FORCE,
    Actor.Kind.OFFICIAL,
    Actor.Kind.GOVERNMENT_BODY,
    Actor.Kind.LOCAL_AUTHORITY,
    Actor.Kind.MEDIA,
    Actor.Kind.INTERNATIONAL_ORGANISATION,
]
SIDES = ["russia", "ukraine", "third_party"]
SURNAMES = [
    "Kovalenko", "Bondarenko", "Tkachenko", "Shevchuk", "Melnyk", "Petrov", "Ivanov",
    "Smirnov", "Volkov", "Novak", "Schmidt", "Dubois", "Rossi", "Keller", "Hansen",
    "Marchenko", "Lysenko", "Sokolov", "Morozov", "Lebedev", "Fischer", "Moreau",
]  # fmt: skip
GIVEN = ["Olena", "Taras", "Iryna", "Andriy", "Dmitry", "Sergei", "Anna", "Pierre", "Maria"]

MILITARY_KINDS = [
    Entry.Kind.DRONE_STRIKE,
    Entry.Kind.MISSILE_STRIKE,
    Entry.Kind.COMBINED_STRIKE,
    Entry.Kind.INFRASTRUCTURE_STRIKE,
    Entry.Kind.SHELLING_ARTILLERY_MISSILE,
    Entry.Kind.INTERCEPTION_REPORT,
    Entry.Kind.ARMED_CLASH,
]
DIPLOMACY_KINDS = [
    Entry.Kind.STATEMENT,
    Entry.Kind.TALKS,
    Entry.Kind.PROPOSAL,
    Entry.Kind.AGREEMENT,
]
WEAPONS = ["drones", "missiles", "glide bombs", "artillery", "ballistic missiles"]
TARGETS = ["the power grid", "a residential block", "a rail depot", "the port", "a school"]
TOPICS = ["the peace plan", "a ceasefire", "prisoner exchanges", "grain exports", "sanctions"]
QUOTES = [
    "a peace deal is within reach",
    "talks were very constructive",
    "more than two hundred drones were intercepted",
    "the strike hit only military targets",
    "civilians were killed in their homes",
    "we are ready for a ceasefire",
    "the plan could be a basis for a lasting settlement",
]
# The benchmarks' rare word: about RARE_ENTRIES entries of a run carry it, whatever the run's
# size (a rare word is one whose matches do not grow with the timeline, as a village's name),
# and their claims' paraphrases do too.
RARE_WORD = "sunflower"
RARE_ENTRIES = 40
# A few actors make a large share of the claims, as leaders and their spokespeople do: the
# claim tracker's busiest claimants have pages of claims at any size.
SPEAKERS = 8
SPEAKERS_SHARE = 0.3
METRICS = [
    Figure.Metric.KILLED,
    Figure.Metric.INJURED,
    Figure.Metric.DRONES_LAUNCHED,
    Figure.Metric.BUILDINGS_DAMAGED,
]


def town_name(rng):
    return (rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(SUFFIXES)).capitalize()


def _place_tree(rng, towns):
    """The generated place tree, created once and reused by later runs."""
    existing = list(Place.objects.filter(slug__startswith=f"{PREFIX}-").order_by("id"))
    if existing:
        return existing
    country = Place(name="Ukraine (generated)", slug=f"{PREFIX}-ukraine", kind=Place.Kind.COUNTRY)
    country.save()
    regions = Place.objects.bulk_create(
        Place(name=name, slug=f"{PREFIX}-r{i}", kind=Place.Kind.REGION, parent=country)
        for i, (name, _) in enumerate(REGIONS)
    )
    PlaceAlias.objects.bulk_create(
        PlaceAlias(place=region, name=alias, name_key=name_key(alias))
        for region, (_, aliases) in zip(regions, REGIONS, strict=True)
        for alias in aliases
    )
    districts = Place.objects.bulk_create(
        Place(
            name=f"{town_name(rng)} district",
            slug=f"{PREFIX}-r{r}-d{d}",
            kind=Place.Kind.SUBREGION,
            parent=region,
        )
        for r, region in enumerate(regions)
        for d in range(DISTRICTS_PER_REGION)
    )

    def town(t):
        district = districts[t % len(districts)]
        region = REGIONS[(t % len(districts)) // DISTRICTS_PER_REGION][0]
        (latitude, longitude), (up, across) = (
            REGION_CENTRES[region],
            REGION_SPREAD.get(region, OBLAST_SPREAD),
        )
        return Place(
            name=town_name(rng),
            slug=f"{PREFIX}-t{t}",
            kind=Place.Kind.CITY,
            parent=district,
            latitude=round(latitude + rng.uniform(-up, up), 4),
            longitude=round(longitude + rng.uniform(-across, across), 4),
            coordinate_precision=Place.CoordinatePrecision.CITY,
        )

    Place.objects.bulk_create(
        (town(t) for t in range(towns)),
        batch_size=BATCH,
    )
    Place.objects.store_paths()
    return list(Place.objects.filter(slug__startswith=f"{PREFIX}-").order_by("id"))


def _actors(rng, count):
    existing = list(Actor.objects.filter(slug__startswith=f"{PREFIX}-").order_by("id"))
    if existing:
        return existing
    actors = []
    for i in range(count):
        kind = ACTOR_KINDS[i % len(ACTOR_KINDS)]
        side = SIDES[i % len(SIDES)]
        if kind == Actor.Kind.OFFICIAL:
            name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
        else:
            name = f"{kind.label} {town_name(rng)}"
        actors.append(
            Actor(
                name=f"{name} ({i})",
                slug=f"{PREFIX}-a{i}",
                kind=kind,
                side_id=side,
                aliases=f"{name} {i}" if i % 4 == 0 else "",
                country={"russia": "Russia", "ukraine": "Ukraine"}.get(side, ""),
            )
        )
    Actor.objects.bulk_create(actors, batch_size=BATCH)
    return list(Actor.objects.filter(slug__startswith=f"{PREFIX}-").order_by("id"))


def _sources(count):
    existing = list(Source.objects.filter(url__startswith="https://generated.example.org/"))
    if existing:
        return existing
    types = list(Source.Type.values)
    Source.objects.bulk_create(
        Source(
            title=f"Generated report {i}",
            publisher=f"Generated Wire {i % 7}",
            url=f"https://generated.example.org/{i}",
            source_type=types[i % len(types)],
        )
        for i in range(count)
    )
    return list(Source.objects.filter(url__startswith="https://generated.example.org/"))


def _dataset():
    dataset, _ = Dataset.objects.get_or_create(
        slug=f"{PREFIX}-events",
        defaults={
            "name": "Generated events",
            "licence": "CC0",
            "attribution": "Synthetic data made by generate_entries",
            "redistributable": True,
        },
    )
    return dataset


def generate_entries(n, *, seed=0, towns=None, actors=None, progress=None):
    """Add `n` synthetic entries (and their claims, figures, actors and places) in batches.

    Returns the number of entries written. Entries, places and actors carry slugs starting
    with "gen-", so generated data can be told from real data.
    """
    # The place tree and actors have their own generator, so a later run that reuses them
    # still draws the same entries from its seed.
    shared = random.Random(PREFIX)
    towns = towns if towns is not None else max(50, min(8000, n // 10))
    actors = actors if actors is not None else max(60, min(800, n // 20))
    places = _place_tree(shared, towns)
    regions = [p for p in places if p.kind == Place.Kind.REGION]
    leaves = [p for p in places if p.kind == Place.Kind.CITY] or regions
    people = _actors(shared, actors)
    sources = _sources(12)
    dataset = _dataset()
    # Added beside earlier runs with the same seed: number on from where they stopped.
    tag = f"{PREFIX}{seed}-"
    offset = Entry.objects.filter(slug__startswith=tag).count()
    rng = random.Random(f"{seed}-{offset}")
    written = 0
    while written < n:
        size = min(BATCH, n - written)
        # The search index's per-row triggers would re-index an entry for each of its links
        # and claims as they are written: once per entry at the batch's end instead.
        with transaction.atomic(), search_index_deferred() as index:
            entries = _batch(
                rng,
                offset + written,
                size,
                tag,
                leaves,
                regions,
                people,
                sources,
                dataset,
                rare_share=RARE_ENTRIES / max(n, RARE_ENTRIES),
            )
            index.add(entry.pk for entry in entries)
        written += size
        batches = written // BATCH
        if connection.vendor == "postgresql" and batches & (batches - 1) == 0:
            # After 1, 2, 4, 8... batches: while its statistics still say "empty" (before
            # autovacuum, or without it) PostgreSQL plans each batch's search refresh as a
            # scan of the claims and links per entry.
            database_statistics_refresh()
        if progress:
            progress(written)
    return written


def _batch(rng, start, size, tag, leaves, regions, people, sources, dataset, *, rare_share):
    now = timezone.now()
    entries = []
    for i in range(start, start + size):
        diplomacy = rng.random() < 0.2
        place = rng.choice(regions) if diplomacy and rng.random() < 0.5 else rng.choice(leaves)
        occurred = LATEST - dt.timedelta(seconds=int(SECONDS_PER_ENTRY * (i + rng.random())))
        rare = f" The {RARE_WORD} fields burned." if rng.random() < rare_share else ""
        if diplomacy:
            kind = rng.choice(DIPLOMACY_KINDS)
            topic = rng.choice(TOPICS)
            title = f"{kind.label} on {topic} ({place.name})"
            summary = f"Officials discussed {topic} in {place.name}.{rare}"
        else:
            kind = rng.choice(MILITARY_KINDS)
            weapon = rng.choice(WEAPONS)
            title = f"{kind.label} on {place.name}"
            summary = f"Overnight {weapon} hit {rng.choice(TARGETS)} in {place.name}.{rare}"
        roll = rng.random()
        status = (
            Entry.Status.PUBLISHED
            if roll < 0.9
            else Entry.Status.DRAFT
            if roll < 0.96
            else Entry.Status.REVIEW
        )
        imported = not diplomacy and rng.random() < 0.7
        entries.append(
            Entry(
                title=title,
                slug=f"{tag}{i}",
                summary=summary,
                track=Track.DIPLOMACY if diplomacy else Track.MILITARY,
                kind=kind,
                status=status,
                occurred_at=occurred,
                precision=rng.choice([Precision.EXACT, Precision.PART_OF_DAY, Precision.DAY]),
                dataset=dataset if imported else None,
                external_id=f"{tag}{i}" if imported else "",
                published_at=now if status == Entry.Status.PUBLISHED else None,
                created_at=now,
            )
        )
        entries[-1].generated_place = place
        entries[-1].generated_rare = rare
    Entry.objects.bulk_create(entries, batch_size=1000)

    entry_places, entry_sources, entry_actors = [], [], []
    claims, figures = [], []
    for entry in entries:
        place = entry.generated_place
        entry_places.append(Entry.places.through(entry_id=entry.pk, place_id=place.pk))
        source = rng.choice(sources)
        entry_sources.append(Entry.sources.through(entry_id=entry.pk, source_id=source.pk))
        for actor, role in (
            (rng.choice(people), EntryActor.Role.INITIATOR),
            (rng.choice(people), EntryActor.Role.TARGET),
        ):
            entry_actors.append(EntryActor(entry_id=entry.pk, actor_id=actor.pk, role=role))
        if rng.random() < 0.4:
            for position in range(rng.choice([1, 1, 1, 2])):
                speakers = people[:SPEAKERS] if rng.random() < SPEAKERS_SHARE else people
                claimant = rng.choice(speakers)
                claims.append(
                    Claim(
                        entry_id=entry.pk,
                        claimant_id=claimant.pk,
                        quote=rng.choice(QUOTES) if rng.random() < 0.7 else "",
                        paraphrase=f"Says events in {entry.generated_place.name} went as "
                        f"claimed.{entry.generated_rare}",
                        kind=rng.choice(Claim.Kind.values),
                        said_at=entry.occurred_at + dt.timedelta(hours=2),
                        position=position,
                    )
                )
        if entry.track == Track.MILITARY and rng.random() < 0.6:
            metric = rng.choice(METRICS)
            best = rng.randint(0, 40)
            revisions = rng.choice([1, 2, 3]) if rng.random() < 0.5 else 1
            for revision in range(revisions):
                figures.append(
                    Figure(
                        entry_id=entry.pk,
                        metric=metric,
                        scope_id=entry.generated_place.pk,
                        best=best + revision * rng.randint(0, 3),
                        qualifier=Figure.Qualifier.AT_LEAST,
                        as_of=entry.occurred_at + dt.timedelta(hours=2 + 6 * revision),
                        reported_by_id=rng.choice(people).pk,
                        source_id=source.pk,
                    )
                )
    Entry.places.through.objects.bulk_create(entry_places, batch_size=BATCH)
    Entry.sources.through.objects.bulk_create(entry_sources, batch_size=BATCH)
    EntryActor.objects.bulk_create(entry_actors, batch_size=BATCH)
    Claim.objects.bulk_create(claims, batch_size=1000)
    Claim.sources.through.objects.bulk_create(
        (Claim.sources.through(claim_id=c.pk, source_id=rng.choice(sources).pk) for c in claims),
        batch_size=BATCH,
    )
    Figure.objects.bulk_create(figures, batch_size=1000)
    return entries
