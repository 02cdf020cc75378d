"""Editors' text is escaped everywhere, and nothing unpublished reaches a public surface.

The leak tests use tests/conftest.py's draft_entry (with a claim and a figure) and
review_entry, each placed so that it *would* show up on the surface under test if the
surface forgot to go through Entry.objects.published().
"""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from tests import factories
from timeline.models import Claim, ClaimEvidence, EntryActor, EntryLink, Place

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SECRETS = ("Secret draft strike", "Secret review strike", "draft quote that must not leak")
ATOM = "{http://www.w3.org/2005/Atom}"


def at(day, hour=0):
    return timezone.make_aware(dt.datetime(2025, 11, day, hour))


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_no_secrets(body, where):
    for secret in SECRETS:
        assert secret not in body, (where, secret)
    assert "secret-draft-strike" not in body, where
    assert "secret-review-strike" not in body, where


# --- Escaping -----------------------------------------------------------------------------


@pytest.fixture
def hostile(db):
    """Every field an editor types, with markup in it."""
    place = factories.PlaceFactory(name=f"Kyiv {IMG}", slug="hostile-place")
    actor = factories.ActorFactory(name=f"Spokesman {SCRIPT}", slug="hostile-actor")
    source = factories.SourceFactory(title=f"Report {SCRIPT}", publisher=f"Outlet {IMG}")
    entry = factories.EntryFactory(
        title=f"Strike {SCRIPT}",
        slug="hostile-entry",
        summary=f"Summary {IMG}",
        time_note=f"Note {SCRIPT}",
        places=[place],
        sources=[source],
    )
    EntryActor.objects.create(entry=entry, actor=actor, role="speaker")
    factories.ClaimFactory(
        entry=entry,
        claimant=actor,
        quote=f"Quote {SCRIPT}",
        paraphrase=f"Paraphrase {IMG}",
        assessment="false",
        assessed_on=dt.date(2025, 11, 25),
        assessment_reason=f"Reason {SCRIPT}",
        sources=[source],
    )
    factories.FigureFactory(entry=entry, scope=place, reported_by=actor, source=source)
    other = factories.DiplomacyEntryFactory(
        title=f"Talks {IMG}", slug="hostile-talks", occurred_at=entry.occurred_at
    )
    EntryLink.objects.create(from_entry=other, to_entry=entry, kind="context", note=SCRIPT)
    return entry


def assert_escaped(body, where):
    assert SCRIPT not in body, where
    assert IMG not in body, where
    assert "<img" not in body, where
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "&lt;img" in body, where


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/entries/hostile-entry/",
        "/entries/hostile-talks/",
        "/claims/",
        "/actors/hostile-actor/",
        "/places/hostile-place/",
        "/?place=hostile-place",
        "/?actor=hostile-actor",
    ],
)
def test_editor_text_is_escaped_on_every_page(client, hostile, url):
    html = get(client, url)
    assert_escaped(html, url)
    # The only <script> elements are our JSON-LD blocks and, where there is a filter form,
    # the pickers' script from our own static files; no inline script.
    scripts = [
        tag
        for tag in re.findall(r"<script(?: [^>]*)?>", html)
        if tag != '<script src="/static/timeline/combobox.js" defer>'
    ]
    assert scripts == (
        ['<script type="application/ld+json">'] if url == "/entries/hostile-entry/" else []
    )


def test_entry_page_shows_every_hostile_field_as_text(client, hostile):
    html = get(client, "/entries/hostile-entry/")
    for escaped in (
        "Strike &lt;script&gt;alert(1)&lt;/script&gt;",
        "Summary &lt;img src=x onerror=alert(1)&gt;",
        "Note &lt;script&gt;",
        "Quote &lt;script&gt;",
        "Paraphrase &lt;img",
        "Reason &lt;script&gt;",
        "Spokesman &lt;script&gt;",
        "Kyiv &lt;img",
        "Report &lt;script&gt;",
        "Outlet &lt;img",
    ):
        assert escaped in html, escaped


def test_search_terms_are_escaped_when_echoed_back(client, db):
    html = get(client, f"/?q={SCRIPT}")
    assert SCRIPT not in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_json_ld_cannot_be_closed_by_editor_text(client, hostile):
    html = get(client, "/entries/hostile-entry/")
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "<" not in block and ">" not in block
    review = json.loads(block)
    assert review["claimReviewed"] == f"Quote {SCRIPT}"
    assert review["itemReviewed"]["author"]["name"] == f"Spokesman {SCRIPT}"
    assert review["reviewBody"] == f"Reason {SCRIPT}"
    assert review["reviewRating"]["alternateName"] == "False"


def test_feed_escapes_editor_text(client, hostile):
    body = client.get("/feed/").content
    assert SCRIPT.encode() not in body
    assert IMG.encode() not in body
    feed = ET.fromstring(body)  # noqa: S314 (our own XML)
    titles = [e.find(f"{ATOM}title").text for e in feed.iter(f"{ATOM}entry")]
    assert f"Strike {SCRIPT}" in titles


def test_open_graph_tags_escape_editor_text(client, hostile):
    html = get(client, "/entries/hostile-entry/")
    assert (
        '<meta property="og:title" content="Strike &lt;script&gt;alert(1)&lt;/script&gt;">' in html
    )


# --- Nothing unpublished leaks ----------------------------------------------------------------


@pytest.fixture
def neighbourhood(db, draft_entry, review_entry):
    """Published entries that share everything with the draft and the review entry: a place,
    an actor, a time window, links, evidence; the unpublished ones have graded claims."""
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv", kind=Place.Kind.CITY)
    district = factories.PlaceFactory(
        name="Pechersk", slug="pechersk", kind=Place.Kind.DISTRICT, parent=kyiv
    )
    secret_place = factories.PlaceFactory(name="Only in drafts", slug="draft-only-place")
    actor = factories.ActorFactory(name="Shared actor", slug="shared-actor")
    secret_actor = factories.ActorFactory(name="Only in drafts actor", slug="draft-only-actor")

    published = factories.EntryFactory(
        title="Published strike on Kyiv",
        slug="published-strike",
        occurred_at=draft_entry.occurred_at,
        places=[kyiv],
    )
    talks = factories.DiplomacyEntryFactory(
        title="Published talks", slug="published-talks", occurred_at=draft_entry.occurred_at
    )
    for hidden in (draft_entry, review_entry):
        hidden.places.set([district, secret_place])
        EntryActor.objects.create(entry=hidden, actor=actor, role="initiator")
        EntryActor.objects.create(entry=hidden, actor=secret_actor, role="target")
        factories.FigureFactory(entry=hidden, scope=kyiv, best=99)
        factories.ClaimFactory(
            entry=hidden,
            claimant=actor,
            quote=f"draft quote that must not leak from {hidden.slug}",
            assessment="contradicted",
            assessed_on=dt.date(2025, 11, 25),
            assessment_reason="Secret draft strike reasoning",
        )
        EntryLink.objects.create(from_entry=hidden, to_entry=published, kind="retaliation_for")
        EntryLink.objects.create(from_entry=published, to_entry=hidden, kind="responds_to")
    Claim.objects.filter(entry=draft_entry).update(claimant=actor)
    EntryActor.objects.create(entry=published, actor=actor, role="speaker")
    published_claim = factories.ClaimFactory(
        entry=talks,
        claimant=actor,
        quote="a peace deal is within reach",
        assessment="contradicted",
        assessed_on=dt.date(2025, 11, 25),
        assessment_reason="Strikes followed.",
    )
    ClaimEvidence.objects.create(claim=published_claim, relation="contradicts", entry=draft_entry)
    ClaimEvidence.objects.create(claim=published_claim, relation="supports", entry=review_entry)
    ClaimEvidence.objects.create(
        claim=published_claim,
        relation="contradicts",
        other_claim=Claim.objects.filter(entry=draft_entry).first(),
    )
    ClaimEvidence.objects.create(claim=published_claim, relation="contradicts", entry=published)
    return {"published": published, "talks": talks, "actor": actor}


@pytest.mark.parametrize("slug", ["secret-draft-strike", "secret-review-strike"])
def test_draft_and_review_entries_answer_404(client, neighbourhood, slug):
    response = client.get(f"/entries/{slug}/")
    assert response.status_code == 404
    assert_no_secrets(response.content.decode(), slug)


@pytest.mark.parametrize("slug", ["secret-draft-strike", "secret-review-strike"])
def test_unpublished_entries_answer_404_to_anonymous_readers(client, db, slug, request):
    request.getfixturevalue("neighbourhood")
    assert client.get(f"/entries/{slug}/").status_code == 404


@pytest.mark.parametrize("slug", ["secret-draft-strike", "secret-review-strike"])
def test_unpublished_entries_answer_404_to_a_signed_in_reader_who_is_not_staff(
    client, db, slug, request
):
    request.getfixturevalue("neighbourhood")
    client.force_login(factories.UserFactory(username="reader", is_staff=False))
    assert client.get(f"/entries/{slug}/").status_code == 404


def test_no_unpublished_entry_on_the_timeline(client, neighbourhood):
    html = get(client, "/")
    assert_no_secrets(html, "/")
    assert "Published strike on Kyiv" in html
    text = re.sub(r"<[^>]+>", "", html)
    assert "2 published entries" in text


@pytest.mark.parametrize(
    "query",
    [
        "track=military",
        "place=kyiv",
        "place=pechersk",
        "actor=shared-actor",
        "assessment=contradicted",
        "from=2025-11-24&to=2025-11-25",
    ],
)
def test_no_unpublished_entry_in_filter_results(client, neighbourhood, query):
    html = get(client, f"/?{query}")
    assert_no_secrets(html, query)


@pytest.mark.parametrize("term", ["Secret", "draft quote", "must not leak", "leak"])
def test_no_unpublished_entry_in_search_results(client, neighbourhood, term):
    html = get(client, f"/?q={term}")
    assert_no_secrets(html.replace(f'value="{term}"', ""), term)
    assert "0 entries match these filters." in html.replace("<strong>", "").replace("</strong>", "")


def test_filter_choices_offer_no_actor_or_place_known_only_from_drafts(client, neighbourhood):
    # The pickers are text fields now: what they offer is their suggestions and what a
    # typed name resolves to.
    for what in ("actor", "claimant", "place"):
        results = client.get(f"/suggest/{what}/?q=only+in+drafts").json()["results"]
        assert results == [], what
    assert client.get("/suggest/actor/?q=shared").json()["results"][0]["slug"] == "shared-actor"
    for query in ("actor=draft-only-actor", "place=draft-only-place", "actor=only+in+drafts+actor"):
        assert "We have no" in get(client, f"/?{query}")
    assert "We have no" in get(client, "/claims/?claimant=draft-only-actor")


def test_no_unpublished_entry_in_the_contrast_panel(client, neighbourhood):
    html = get(client, "/entries/published-talks/")
    assert_no_secrets(html, "contrast")
    panel = html[html.index('id="contrast"') :]
    assert "Published strike on Kyiv" in panel
    # The draft's 99 killed are not in the totals either.
    assert "99 killed" not in panel
    assert "1 strike" in panel


def test_no_unpublished_entry_among_linked_entries(client, neighbourhood):
    html = get(client, "/entries/published-strike/")
    assert_no_secrets(html, "links")
    assert "Linked entries" not in html


def test_no_unpublished_entry_or_claim_in_evidence_lists(client, neighbourhood):
    html = get(client, "/entries/published-talks/")
    assert_no_secrets(html, "evidence")
    evidence = html[html.index('class="evidence"') : html.index("</ul>", html.index("Evidence"))]
    assert evidence.count("<li") == 1
    assert "Published strike on Kyiv" in evidence


def test_no_unpublished_entry_or_claim_on_actor_pages(client, neighbourhood):
    html = get(client, "/actors/shared-actor/")
    assert_no_secrets(html, "actor")
    assert "Published strike on Kyiv" in html
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.search(r"Contradicted\s+1\b", text)  # only the published claim counts
    secret_actor = get(client, "/actors/draft-only-actor/")
    assert_no_secrets(secret_actor, "draft-only actor")
    assert "No published entries involve" in secret_actor


def test_no_unpublished_entry_on_place_pages(client, neighbourhood):
    for slug in ("kyiv", "pechersk", "draft-only-place"):
        html = get(client, f"/places/{slug}/")
        assert_no_secrets(html, slug)
    assert "No published entries at Pechersk yet." in get(client, "/places/pechersk/")


@pytest.mark.parametrize(
    "query", ["", "?claimant=shared-actor", "?assessment=contradicted", "?track=military"]
)
def test_no_unpublished_claim_in_the_claim_tracker(client, neighbourhood, query):
    html = get(client, f"/claims/{query}")
    assert_no_secrets(html, query)
    assert "Secret draft strike reasoning" not in html


def test_no_unpublished_entry_in_the_feed(client, neighbourhood):
    body = client.get("/feed/").content.decode()
    assert_no_secrets(body, "feed")
    assert "Published strike on Kyiv" in body


def test_no_unpublished_entry_actor_or_place_in_the_sitemap(client, neighbourhood):
    index = client.get("/sitemap.xml").content.decode()
    sections = re.findall(r"<loc>http://testserver(/[^<]+)</loc>", index)
    assert sections, "the sitemap index lists no sitemaps"
    body = index + "".join(client.get(path).content.decode() for path in sections)
    assert_no_secrets(body, "sitemap")
    assert "/entries/published-strike/" in body
    assert "draft-only-actor" not in body
    assert "draft-only-place" not in body
    assert "/places/pechersk/" not in body


def test_no_unpublished_claim_in_json_ld(client, neighbourhood):
    html = get(client, "/entries/published-talks/")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    assert_no_secrets("".join(blocks), "json-ld")
    for block in blocks:
        assert "Secret" not in json.dumps(json.loads(block))
