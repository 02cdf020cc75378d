"""The claims API's `search` on its index (timeline/claim_search.py), on SQLite and PostgreSQL:
the same claims whether the index narrows them or the claims are walked, after every change."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests import factories
from timeline.claim_search import SQLITE_DROP, TRIGRAM, _claims_holding

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached_pages")]

# Up to the limit the ids holding a term are read from the index; a limit of 0 forces the walk.
BRANCHES = {"index": 10_000, "walk": 0}


def found(monkeypatch, search):
    seen = {}
    for branch, limit in BRANCHES.items():
        monkeypatch.setattr("timeline.claim_search.SMALL_SIDE_LIMIT", limit)
        response = APIClient().get("/api/v1/claims/", {"search": search, "page_size": 100})
        assert response.status_code == 200
        seen[branch] = {item["id"] for item in response.json()["results"]}
    assert seen["index"] == seen["walk"], search
    return seen["walk"]


@pytest.fixture
def claims(db):
    zelensky = factories.ActorFactory(name="Volodymyr Zelensky")
    putin = factories.ActorFactory(name="Vladimir Putin")
    return {
        "sunflower": factories.ClaimFactory(
            claimant=zelensky, quote="The sunflower fields near Odesa burned"
        ),
        "grid": factories.ClaimFactory(claimant=putin, paraphrase="Says the GRID was a target."),
        "plain": factories.ClaimFactory(claimant=putin, quote="Nothing to add"),
    }


def test_a_term_is_found_in_quote_paraphrase_or_claimant_whatever_its_case(monkeypatch, claims):
    assert found(monkeypatch, "SUNFLOWER") == {claims["sunflower"].pk}
    assert found(monkeypatch, "flower") == {claims["sunflower"].pk}  # inside a word
    assert found(monkeypatch, "grid") == {claims["grid"].pk}
    assert found(monkeypatch, "putin") == {claims["grid"].pk, claims["plain"].pk}
    assert found(monkeypatch, "putin grid") == {claims["grid"].pk}
    assert found(monkeypatch, '"fields near"') == {claims["sunflower"].pk}
    assert found(monkeypatch, "od") == {claims["sunflower"].pk}  # shorter than a trigram
    assert found(monkeypatch, "100%") == set()
    assert found(monkeypatch, "nowhere") == set()


def test_the_index_follows_edits_renames_and_deletions(monkeypatch, claims):
    sunflower = claims["sunflower"]
    sunflower.quote = "Wheat silos were hit"
    sunflower.save()
    assert found(monkeypatch, "sunflower") == set()
    assert found(monkeypatch, "silos") == {sunflower.pk}
    putin = claims["grid"].claimant
    putin.name = "Vladimir Vladimirovich"
    putin.save()
    assert found(monkeypatch, "putin") == set()
    assert found(monkeypatch, "vladimirovich") == {claims["grid"].pk, claims["plain"].pk}
    claims["plain"].claimant = sunflower.claimant
    claims["plain"].save()
    assert found(monkeypatch, "vladimirovich") == {claims["grid"].pk}
    claims["grid"].delete()
    assert found(monkeypatch, "vladimirovich") == set()


def test_a_claim_on_an_unpublished_entry_is_never_found(monkeypatch, claims, draft_entry):
    factories.ClaimFactory(entry=draft_entry, quote="a sunflower in the draft")
    assert found(monkeypatch, "sunflower") == {claims["sunflower"].pk}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram table is SQLite's")
def test_sqlite_reads_the_claims_holding_a_term_from_its_index(claims):
    assert len("flower") >= TRIGRAM
    assert _claims_holding("FLOWER") == [claims["sunflower"].pk]
    assert _claims_holding('say "yes"') == []  # quotes in a term are text, not syntax


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram table is SQLite's")
def test_without_the_trigram_table_the_search_reads_the_claims(monkeypatch, claims):
    """A database migrated by a SQLite older than 3.34 has no trigram table."""
    with connection.cursor() as cursor:
        for statement in SQLITE_DROP:
            cursor.execute(statement)
    assert _claims_holding("flower") is None
    assert found(monkeypatch, "flower") == {claims["sunflower"].pk}
    assert found(monkeypatch, "putin") == {claims["grid"].pk, claims["plain"].pk}
