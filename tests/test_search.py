"""Full-text search on the engine's index (timeline/search.py), on SQLite and PostgreSQL."""

import pytest

from timeline.models import Claim, Entry, EntryActor, Place
from timeline.search import (
    SearchQueryError,
    parse_query,
    search_entries,
    search_index_deferred,
    search_index_rebuild,
)

from . import factories


def found(text):
    return list(search_entries(Entry.objects.published(), text).values_list("slug", flat=True))


@pytest.fixture
def kyiv_strike(db):
    place = factories.PlaceFactory(name="Pechersk", slug="pechersk")
    entry = factories.EntryFactory(
        title="Overnight attack", slug="overnight-attack", places=[place]
    )
    factories.ClaimFactory(entry=entry, quote="the interceptors worked flawlessly")
    return entry


def test_published_entry_is_found_by_a_claim_quote_and_a_place_name(kyiv_strike):
    assert found("interceptors") == ["overnight-attack"]
    assert found("pechersk") == ["overnight-attack"]
    assert found('"worked flawlessly"') == ["overnight-attack"]
    assert found('"flawlessly worked"') == []


def test_a_draft_is_never_found(draft_entry):
    assert found("draft quote") == []
    assert found("secret") == []


def test_prefix_or_and_leaving_out(kyiv_strike):
    factories.EntryFactory(title="Talks in Geneva", slug="geneva", summary="Delegations met.")
    assert found("intercept*") == ["overnight-attack"]
    assert sorted(found("pechersk OR geneva")) == ["geneva", "overnight-attack"]
    assert found("pechersk -interceptors") == []


def test_changes_re_index_the_entry(kyiv_strike):
    kyiv_strike.title = "Morning barrage"
    kyiv_strike.save()
    assert found("barrage") == ["overnight-attack"]
    assert found("attack") == []

    claim = kyiv_strike.claims.get()
    claim.quote = "nothing got through"
    claim.save()
    assert found("interceptors") == []
    assert found('"nothing got through"') == ["overnight-attack"]

    place = Place.objects.get(slug="pechersk")
    place.name = "Pecherskyi"
    place.save()
    assert found("pecherskyi") == ["overnight-attack"]

    actor = factories.ActorFactory(name="Air Force Command")
    EntryActor.objects.create(entry=kyiv_strike, actor=actor, role=EntryActor.Role.SPEAKER)
    assert found("command") == ["overnight-attack"]
    actor.aliases = "PvK"
    actor.save()
    assert found("pvk") == ["overnight-attack"]

    kyiv_strike.delete()
    assert found("barrage") == []


def test_unpublishing_hides_the_entry_from_search(kyiv_strike):
    Entry.objects.filter(pk=kyiv_strike.pk).update(status=Entry.Status.DRAFT)
    assert found("interceptors") == []


def test_bulk_created_entries_are_found(db):
    source = factories.SourceFactory()
    entries = Entry.objects.bulk_create(
        Entry(
            title=f"Imported event {n}",
            slug=f"imported-{n}",
            summary="Shelling near the quarry.",
            track="military",
            kind=Entry.Kind.ARMED_CLASH,
            status=Entry.Status.PUBLISHED,
            occurred_at=factories.BASE_TIME,
        )
        for n in range(3)
    )
    actor = factories.ActorFactory()
    Claim.objects.bulk_create(
        [Claim(entry=entries[0], claimant=actor, paraphrase="Denies any quarry", kind="position")]
    )
    Entry.sources.through.objects.bulk_create(
        Entry.sources.through(entry_id=entry.pk, source_id=source.pk) for entry in entries
    )
    search_index_rebuild([entry.pk for entry in entries])
    assert len(found("quarry")) == 3
    assert found("denies") == ["imported-0"]


def test_deferred_indexing_indexes_the_named_entries_once_at_the_end(db):
    with search_index_deferred() as index:
        first = factories.EntryFactory(title="Quarry shelled", slug="quarry-shelled")
        second = factories.EntryFactory(title="Quarry flooded", slug="quarry-flooded")
        assert found("quarry") == []  # the triggers did nothing inside the block
        index.add([first.pk])
    assert found("quarry") == ["quarry-shelled"]  # only what was named
    # The triggers are back: later writes are indexed as they happen.
    second.title = "Quarry flooded again"
    second.save()
    factories.EntryFactory(title="Quarry road mined", slug="quarry-road-mined")
    assert set(found("quarry")) == {"quarry-shelled", "quarry-flooded", "quarry-road-mined"}


def test_an_exception_inside_deferred_indexing_leaves_the_triggers_in_place(db):
    with pytest.raises(RuntimeError), search_index_deferred():
        factories.EntryFactory(title="Rolled back", slug="rolled-back")
        raise RuntimeError("disk full")
    assert not Entry.objects.filter(slug="rolled-back").exists()
    factories.EntryFactory(title="Quarry shelled", slug="quarry-shelled")
    assert found("quarry") == ["quarry-shelled"]


def test_results_keep_the_timeline_order(db):
    older = factories.EntryFactory(title="Dam breach", slug="older")
    newer = factories.EntryFactory(
        title="Dam breach again", slug="newer", occurred_at=older.occurred_at.replace(year=2026)
    )
    assert found("dam") == [newer.slug, older.slug]


@pytest.mark.parametrize("text", ["", "   ", "***", '""', "-kyiv", "OR", "«»", "(("])
def test_a_query_with_nothing_to_search_says_so(text):
    with pytest.raises(SearchQueryError, match="at least one word"):
        parse_query(text)


@pytest.mark.parametrize(
    "text", ['"unbalanced', "a AND OR NOT b", "col:value", "x*y*", "^start", "NEAR(a b)", "((a"]
)
def test_engine_syntax_in_a_query_never_fails(db, text):
    list(search_entries(Entry.objects.published(), text))


def test_timeline_search_with_nothing_to_search_is_a_friendly_message(client, db):
    response = client.get("/?q=%2A%2A%2A")
    assert response.status_code == 200
    assert "Type at least one word to search for" in response.content.decode()


def test_a_search_with_nothing_to_search_is_a_message_on_the_page_and_matches_nothing_in_the_api(
    client, kyiv_strike
):
    page = client.get("/", {"q": "***"}).content.decode()
    assert "Type at least one word" in page
    response = client.get("/api/v1/entries/", {"search": "***"})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert client.get("/api/v1/entries/").json()["results"]


def test_timeline_and_api_search_find_the_same_entries(client, kyiv_strike, draft_entry):
    page = client.get("/", {"q": "interceptors OR draft"}).content.decode()
    assert "Overnight attack" in page
    assert "Secret draft" not in page
    api = client.get("/api/v1/entries/", {"search": "interceptors OR draft"}).json()
    assert [item["slug"] for item in api["results"]] == ["overnight-attack"]


@pytest.mark.parametrize(
    "limit, url, count",
    [
        (10_000, "/?q=sunflower", "<strong>3</strong> entries match"),
        (2, "/?q=sunflower", "<strong>more than 2</strong> entries match"),
        (10_000, "/?q=sunflower&track=military", "<strong>2</strong> entries match"),
        (2, "/?q=sunflower&track=military", "<strong>2</strong> entries match"),
    ],
)
def test_the_timeline_says_how_many_published_entries_a_search_finds(
    client, db, monkeypatch, limit, url, count
):
    """A search alone is counted by the search itself (exact up to the limit of ids it reads,
    “more than” beyond), with drafts never counted; with another filter, by the page."""
    monkeypatch.setattr("timeline.search.SEARCH_SMALL_SIDE_LIMIT", limit)
    for track in ("military", "military", "diplomacy"):
        factories.EntryFactory(
            title="Sunflower fields shelled",
            track=track,
            kind=("talks" if track == "diplomacy" else "missile_strike"),
        )
    for status in ("draft", "review"):
        factories.EntryFactory(title="Sunflower draft", status=status)
    html = client.get(url).content.decode()
    assert count in html
