"""No lost update: If-Match on API writes, a version carried by the admin's forms (issue 10)."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from timeline.models import Entry, Source

from . import factories
from .admin_forms import read_admin_form
from .api_helpers import token_client

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def editor_api(editor):
    return token_client(editor)


@pytest.fixture
def other_editor(editors_group):
    return factories.UserFactory(username="olena", first_name="Olena", groups=[editors_group])


def entry_url(entry):
    return f"/api/v1/entries/{entry.slug}/"


# --- API: ETags that identify a version ----------------------------------------------------


@pytest.mark.django_db
def test_get_create_and_update_answer_the_same_etag_for_the_same_version(editor_api):
    source = factories.SourceFactory()
    created = editor_api.post(
        "/api/v1/entries/",
        {
            "title": "Drones over Odesa",
            "summary": "Drones overnight.",
            "track": "military",
            "kind": "drone_strike",
            "occurred_at": "2025-11-25T03:00:00+02:00",
            "precision": "part_of_day",
            "sources": [source.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    url = created["Location"]
    assert created["ETag"] == editor_api.get(url)["ETag"]
    assert created["ETag"].startswith('W/"1.')

    changed = editor_api.patch(
        url, {"summary": "Drones hit the port."}, format="json", HTTP_IF_MATCH=created["ETag"]
    )
    assert changed.status_code == 200
    assert changed["ETag"].startswith('W/"2.')
    assert changed["ETag"] == editor_api.get(url)["ETag"]


@pytest.mark.django_db
def test_a_stale_etag_is_refused_with_412_and_the_current_etag(editor_api, published_entry):
    url = entry_url(published_entry)
    stale = editor_api.get(url)["ETag"]
    assert editor_api.patch(url, {"summary": "First."}, format="json").status_code == 200
    current = editor_api.get(url)["ETag"]

    refused = editor_api.patch(url, {"summary": "Second."}, format="json", HTTP_IF_MATCH=stale)

    assert refused.status_code == 412
    assert "not saved" in refused.json()["detail"]
    assert refused["ETag"] == current
    published_entry.refresh_from_db()
    assert published_entry.summary == "First."
    retried = editor_api.patch(url, {"summary": "Second."}, format="json", HTTP_IF_MATCH=current)
    assert retried.status_code == 200


@pytest.mark.django_db
def test_two_editors_with_one_etag_one_wins_and_the_other_gets_412(
    editor_api, other_editor, published_entry
):
    """Interleaved in one thread: both read, then both write (threads below, PostgreSQL)."""
    url = entry_url(published_entry)
    olena = token_client(other_editor)
    etag = editor_api.get(url)["ETag"]
    assert olena.get(url)["ETag"] == etag

    first = editor_api.patch(url, {"title": "Strike on Kyiv"}, format="json", HTTP_IF_MATCH=etag)
    second = olena.patch(url, {"summary": "Olena's"}, format="json", HTTP_IF_MATCH=etag)

    assert (first.status_code, second.status_code) == (200, 412)
    published_entry.refresh_from_db()
    assert published_entry.title == "Strike on Kyiv"
    assert published_entry.summary != "Olena's"


@pytest.mark.django_db
def test_put_and_delete_honour_if_match_too(editor_api, publisher):
    source = factories.SourceFactory(title="Old title")
    url = f"/api/v1/sources/{source.pk}/"
    stale = editor_api.get(url)["ETag"]
    body = editor_api.get(url).json()
    put = {k: body[k] for k in ("title", "publisher", "url", "source_type", "published_at")}
    renamed = put | {"title": "New title"}
    assert editor_api.put(url, renamed, format="json", HTTP_IF_MATCH=stale).status_code == 200
    assert editor_api.put(url, put, format="json", HTTP_IF_MATCH=stale).status_code == 412

    deleter = token_client(publisher)
    refused = deleter.delete(url, HTTP_IF_MATCH=stale)
    assert refused.status_code == 412
    assert Source.objects.filter(pk=source.pk).exists()
    assert deleter.delete(url, HTTP_IF_MATCH=refused["ETag"]).status_code == 204


@pytest.mark.django_db
def test_if_match_star_or_no_if_match_writes_as_before(editor_api, published_entry):
    url = entry_url(published_entry)
    assert (
        editor_api.patch(url, {"summary": "A"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    )
    assert editor_api.patch(url, {"summary": "B"}, format="json").status_code == 200
    published_entry.refresh_from_db()
    assert (published_entry.summary, published_entry.version) == ("B", 3)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="threads writing at once need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_patches_with_one_etag_give_one_200_and_one_412(migrated_rows):
    """Both requests pass the first check, then race for the row lock: one must lose."""
    editors = factories.UserFactory(username="a"), factories.UserFactory(username="b")
    for user in editors:
        user.groups.add(*type(user).groups.field.related_model.objects.filter(name="Editors"))
    entry = factories.EntryFactory(title="Strike", slug="strike")
    url = entry_url(entry)
    etag = APIClient().get(url)["ETag"]
    clients = [token_client(user) for user in editors]
    barrier = threading.Barrier(2)
    statuses = []

    def write(client, summary):
        try:
            barrier.wait(timeout=10)
            response = client.patch(url, {"summary": summary}, format="json", HTTP_IF_MATCH=etag)
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(client, f"by {n}")) for n, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 412]
    entry.refresh_from_db()
    assert entry.version == 2
    assert entry.summary in ("by 0", "by 1")


# --- Admin: the second editor to save is told, the first editor's changes stay --------------


def change_url(entry):
    return reverse("admin:timeline_entry_change", args=[entry.pk])


@pytest.mark.django_db
def test_two_editors_saving_one_entry_the_second_is_told_and_the_first_kept(
    client, editor, other_editor, published_entry
):
    from django.test import Client

    url = change_url(published_entry)
    client.force_login(editor)
    olena = Client()
    olena.force_login(other_editor)
    mine = read_admin_form(client.get(url).content.decode(), "entry_form")
    hers = read_admin_form(olena.get(url).content.decode(), "entry_form")
    assert mine["opened_version"] == hers["opened_version"] == "1"

    assert olena.post(url, hers | {"summary": "Olena's summary."}).status_code == 302
    saves = Entry.history.filter(id=published_entry.pk).count()
    response = client.post(url, mine | {"title": "My title"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Olena changed this entry at" in text
    assert "your changes were not saved; reload the page to see them" in text
    published_entry.refresh_from_db()
    assert published_entry.summary == "Olena's summary."
    assert published_entry.title != "My title"
    assert Entry.history.filter(id=published_entry.pk).count() == saves


@pytest.mark.django_db
def test_an_editor_saving_twice_in_a_row_is_not_refused(editor_client, published_entry):
    url = change_url(published_entry)
    form = read_admin_form(editor_client.get(url).content.decode(), "entry_form")
    assert editor_client.post(url, form | {"summary": "One."}).status_code == 302
    form = read_admin_form(editor_client.get(url).content.decode(), "entry_form")
    assert editor_client.post(url, form | {"summary": "Two."}).status_code == 302
    published_entry.refresh_from_db()
    assert published_entry.summary == "Two."
