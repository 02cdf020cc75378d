"""/feed/, /sitemap.xml and /healthz."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from tests import factories
from timeline.models import Claim, Entry, EntryActor, Place

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def atom_entries(client):
    response = client.get("/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content).findall(f"{ATOM}entry")  # noqa: S314 (our own XML)


def sitemap_urls(client):
    """Every URL in every sitemap the index at /sitemap.xml lists."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    index = ET.fromstring(response.content)  # noqa: S314 (our own XML)
    assert index.tag == f"{SITEMAP}sitemapindex"
    urls = []
    for page in index.iter(f"{SITEMAP}loc"):
        part = client.get(page.text.replace("http://testserver", ""))
        assert part.status_code == 200
        root = ET.fromstring(part.content)  # noqa: S314 (our own XML)
        assert root.tag == f"{SITEMAP}urlset"
        locs = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
        assert len(locs) <= 50_000
        urls.extend(locs)
    return urls


def test_feed_is_atom_with_the_entry_title_link_and_summary(client, db):
    factories.EntryFactory(
        title="Missiles and drones hit Kyiv",
        slug="kyiv-strike",
        summary="Apartment blocks burned in Dniprovskyi district.",
        occurred_at=timezone.make_aware(dt.datetime(2025, 11, 25, 3)),
    )
    [item] = atom_entries(client)
    assert item.find(f"{ATOM}title").text == "Missiles and drones hit Kyiv"
    assert item.find(f"{ATOM}link").get("href") == "http://testserver/entries/kyiv-strike/"
    summary = item.find(f"{ATOM}summary").text
    assert summary == (
        "Military, before dawn, Tue 25 Nov 2025. Apartment blocks burned in Dniprovskyi district."
    )
    categories = [c.get("term") for c in item.findall(f"{ATOM}category")]
    assert categories == ["Military", "Combined missile and drone strike"]


def test_feed_has_the_newest_50_entries_newest_first(client, db):
    source = factories.SourceFactory()
    start = timezone.make_aware(dt.datetime(2025, 11, 25, 12))
    entries = Entry.objects.bulk_create(
        Entry(
            title=f"Entry {n:02d}",
            slug=f"entry-{n:02d}",
            summary="s",
            track="military",
            kind="drone_strike",
            status="published",
            occurred_at=start - dt.timedelta(hours=n),
        )
        for n in range(60)
    )
    Entry.sources.through.objects.bulk_create(
        Entry.sources.through(entry_id=e.pk, source_id=source.pk) for e in entries
    )
    titles = [item.find(f"{ATOM}title").text for item in atom_entries(client)]
    assert len(titles) == 50
    assert titles[0] == "Entry 00"
    assert titles[-1] == "Entry 49"


def test_home_page_advertises_the_feed(client, db):
    html = client.get("/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/feed/"' in html


def test_sitemap_lists_entries_actors_and_places_with_published_entries_and_the_index_pages(
    client, db
):
    ukraine = factories.PlaceFactory(name="Ukraine", slug="ukraine", kind=Place.Kind.COUNTRY)
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv", parent=ukraine)
    factories.PlaceFactory(name="Lviv", slug="lviv", parent=ukraine)
    entry = factories.EntryFactory(slug="kyiv-strike", places=[kyiv])
    speaker = factories.ActorFactory(name="Kyiv City Military Administration", slug="kcma")
    EntryActor.objects.create(entry=entry, actor=speaker, role="speaker")
    factories.ClaimFactory(
        entry=entry, claimant=factories.ActorFactory(name="Donald Trump", slug="donald-trump")
    )
    factories.ActorFactory(slug="idle-actor")

    urls = sitemap_urls(client)
    assert urls == [
        "http://testserver/",
        "http://testserver/claims/",
        "http://testserver/entries/kyiv-strike/",
        "http://testserver/actors/donald-trump/",
        "http://testserver/actors/kcma/",
        "http://testserver/places/kyiv/",
        "http://testserver/places/ukraine/",
    ]
    assert "http://testserver/actors/idle-actor/" not in urls
    assert "http://testserver/places/lviv/" not in urls


def test_sitemap_carries_last_modified_dates_for_entries(client, db):
    factories.EntryFactory(slug="kyiv-strike")
    assert "<lastmod>" in client.get("/sitemap.xml").content.decode()
    assert "<lastmod>" in client.get("/sitemap-entries.xml").content.decode()


def test_sitemap_index_pages_entries_within_the_protocols_limits(client, db, settings):
    for n in range(3):
        factories.EntryFactory(slug=f"strike-{n}")
    from timeline.sitemaps import EntrySitemap

    EntrySitemap.limit, limit = 2, EntrySitemap.limit
    try:
        body = client.get("/sitemap.xml").content.decode()
        assert "/sitemap-entries.xml?p=2" in body
        second = client.get("/sitemap-entries.xml?p=2").content.decode()
        assert second.count("<url>") == 1
    finally:
        EntrySitemap.limit = limit


def test_sitemap_index_says_what_djangos_own_index_says(client, db, rf):
    """The index is written without a template (a line per 5,000 entries at any size), and
    lists the same pages with the same last changes as django.contrib.sitemaps would."""
    from django.contrib.sitemaps.views import index

    from timeline.sitemaps import SITEMAPS, EntrySitemap

    for n in range(5):
        factories.EntryFactory(slug=f"strike-{n}")
    EntrySitemap.limit, limit = 2, EntrySitemap.limit
    try:
        ours = client.get("/sitemap.xml")
        django_own = index(
            rf.get("/sitemap.xml"), SITEMAPS, sitemap_url_name="timeline:sitemap-section"
        )
        django_own.render()
    finally:
        EntrySitemap.limit = limit

    def pages(body):
        root = ET.fromstring(body)  # noqa: S314 (our own XML)
        return [
            (item.findtext(f"{SITEMAP}loc"), item.findtext(f"{SITEMAP}lastmod"))
            for item in root.iter(f"{SITEMAP}sitemap")
        ]

    assert ours["Content-Type"] == "application/xml"
    assert ours["X-Robots-Tag"] == django_own["X-Robots-Tag"]
    assert pages(ours.content) == pages(django_own.content)
    assert "http://testserver/sitemap-entries.xml?p=3" in dict(pages(ours.content))
    assert dict(pages(ours.content))["http://testserver/sitemap-entries.xml"]


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_does_not(client, db, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    # The database driver fails, not our code: every cursor the connection hands out raises.
    # Undone before the test database is torn down, which needs a working cursor.
    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "cursor", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database unavailable"


@pytest.mark.parametrize("claims", [0, 3])
def test_feed_does_not_need_claims_to_render(client, db, claims):
    entry = factories.EntryFactory(title="A strike")
    for _ in range(claims):
        factories.ClaimFactory(entry=entry)
    assert Claim.objects.count() == claims
    assert len(atom_entries(client)) == 1


@pytest.mark.parametrize(
    "url", ["/", "/claims/", "/entries/kyiv-strike/", "/feed/", "/sitemap.xml", "/?track=military"]
)
def test_a_second_visit_to_a_page_is_a_304(client, db, url):
    factories.EntryFactory(slug="kyiv-strike")
    first = client.get(url)
    assert first.status_code == 200
    assert first.has_header("ETag")
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_the_feed_says_when_it_last_changed(client, db):
    factories.EntryFactory(slug="kyiv-strike")
    first = client.get("/feed/")
    assert first.has_header("Last-Modified")
    again = client.get("/feed/", headers={"If-Modified-Since": first["Last-Modified"]})
    assert again.status_code == 304
