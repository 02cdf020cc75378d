"""Rendered pages and anonymous API lists from the cache, never stale, never private."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from tests import factories
from timeline import services
from timeline.models import Entry

PAGES = ["/", "/claims/", "/feed/", "/api/v1/entries/?page_size=20", "/api/v1/claims/"]


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE = True


def queries_for(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response, len(queries)


@pytest.mark.parametrize("url", PAGES)
def test_a_second_anonymous_visit_is_served_from_the_cache_without_a_query(
    client, published_entry, url
):
    first, _ = queries_for(client, url)
    second, count = queries_for(client, url)
    assert count == 0
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content


def test_publishing_shows_the_entry_at_once(client, publisher, draft_entry, published_entry):
    assert draft_entry.title not in client.get("/").content.decode()
    services.entry_set_status(entry=draft_entry, status=Entry.Status.PUBLISHED, user=publisher)
    assert draft_entry.title in client.get("/").content.decode()
    assert draft_entry.title in client.get("/api/v1/entries/").content.decode()


def test_an_edit_a_revision_and_an_unpublish_are_never_served_stale(
    client, publisher, published_entry
):
    url = published_entry.get_absolute_url()
    client.get(url)
    published_entry.title = "Retitled strike"
    published_entry.save()
    assert "Retitled strike" in client.get(url).content.decode()

    figure = factories.FigureFactory(entry=published_entry, best=4)
    client.get(url)
    services.figure_record_revision(previous=figure, user=publisher, best=9, reason="Update")
    assert "at least 9" in client.get(url).content.decode()

    services.entry_set_status(
        entry=published_entry, status=Entry.Status.DRAFT, user=publisher, reason="Check"
    )
    assert client.get(url).status_code == 404
    assert "Retitled strike" not in client.get("/").content.decode()


def test_a_bulk_write_bumps_the_version_when_it_says_so(client, published_entry):
    from timeline.pagecache import data_version_bump

    client.get("/")
    Entry.objects.filter(pk=published_entry.pk).update(title="Bulk retitled")  # no signal
    data_version_bump()
    assert "Bulk retitled" in client.get("/").content.decode()


def test_a_staff_preview_is_never_cached_nor_served_from_the_cache(
    client, editor, draft_entry, published_entry
):
    client.force_login(editor)
    preview = client.get(draft_entry.get_absolute_url())
    assert "Preview, not public" in preview.content.decode()
    assert "private, no-store" in preview["Cache-Control"]
    assert "X-Page-Cache" not in preview
    client.get("/")
    client.logout()
    assert client.get(draft_entry.get_absolute_url()).status_code == 404
    assert draft_entry.title not in client.get("/").content.decode()


def test_signed_in_readers_and_token_callers_bypass_the_cache(client, editor, published_entry):
    client.get("/api/v1/entries/")
    token = Token.objects.create(user=editor)
    response, count = queries_for(
        client, "/api/v1/entries/", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert count > 0 and "X-Page-Cache" not in response
    client.force_login(editor)
    response, count = queries_for(client, "/")
    assert count > 0 and "X-Page-Cache" not in response


def test_a_response_that_sets_a_cookie_is_not_stored(client, published_entry, monkeypatch):
    from timeline import pagecache

    original = pagecache._cacheable_response

    def with_cookie(request, response):
        response.set_cookie("flavour", "oat")
        return original(request, response)

    monkeypatch.setattr(pagecache, "_cacheable_response", with_cookie)
    client.get("/")
    monkeypatch.setattr(pagecache, "_cacheable_response", original)
    response, count = queries_for(client, "/")
    assert count > 0


def test_the_browsable_api_and_json_are_stored_apart(client, published_entry):
    client.get("/api/v1/entries/", HTTP_ACCEPT="application/json")
    html = client.get("/api/v1/entries/", HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")


def test_a_cached_page_still_answers_a_conditional_get_with_304(client, published_entry):
    first = client.get("/")
    client.get("/")
    again = client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_a_page_from_the_cache_carries_the_security_headers(client, published_entry):
    first = client.get("/")
    second = client.get("/")
    assert second["X-Page-Cache"] == "hit"
    for header in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy"):
        assert second[header] == first[header]
