import pytest
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
