import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from . import factories


@pytest.fixture
def editors_group(db):
    return Group.objects.get(name="Editors")


@pytest.fixture
def publishers_group(db):
    return Group.objects.get(name="Publishers")


@pytest.fixture
def editor(editors_group):
    """A staff account in the Editors group: records entries, cannot publish."""
    return factories.UserFactory(username="editor", groups=[editors_group])


@pytest.fixture
def publisher(editors_group, publishers_group):
    """A staff account in Editors and Publishers: may publish."""
    return factories.UserFactory(username="publisher", groups=[editors_group, publishers_group])


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


@pytest.fixture
def published_entry(db):
    return factories.EntryFactory(title="Published strike on Kyiv", slug="published-strike")


@pytest.fixture
def draft_entry(db):
    """An entry that must never be seen in public: it has everything a published one has."""
    entry = factories.EntryFactory(
        title="Secret draft strike",
        slug="secret-draft-strike",
        summary="Draft summary that must not leak.",
        status="draft",
    )
    factories.ClaimFactory(entry=entry, quote="draft quote that must not leak")
    factories.FigureFactory(entry=entry)
    return entry


@pytest.fixture
def review_entry(db):
    return factories.EntryFactory(
        title="Secret review strike", slug="secret-review-strike", status="review"
    )


@pytest.fixture
def migrated_rows(transactional_db):
    """What the data migrations write (the sides, the Editors and Publishers groups).

    A transactional test ends with a flush; serialized_rollback does not bring these rows
    back for tests that share the live server, so each test puts them back itself.
    """
    for name, function in (
        ("0002_editor_and_publisher_groups", "create_groups"),
        ("0003_datasets_sides_place_paths_corrections", "create_sides"),
    ):
        module = importlib.import_module(f"timeline.migrations.{name}")
        getattr(module, function)(apps, None)


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Each test starts with an empty cache: a page stored by an earlier test, whose rows were
    rolled back without a write to bump the data version, must not be served."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def uncached_pages(settings):
    """For tests that request the same URL down two code paths (a limit patched between the
    requests, which no write marks as a change): the page cache would answer the second
    request with the first one's page."""
    settings.PAGE_CACHE = False
