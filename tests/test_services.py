import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from timeline import services

from .factories import EntryFactory, FigureFactory

pytestmark = pytest.mark.django_db


def test_editor_cannot_publish_through_the_service(editor):
    entry = EntryFactory(status="review")
    with pytest.raises(PermissionDenied):
        services.entry_publish(entry=entry, user=editor)
    entry.refresh_from_db()
    assert entry.status == "review"


def test_editor_cannot_unpublish_either(editor, published_entry):
    with pytest.raises(PermissionDenied):
        services.entry_unpublish(entry=published_entry, user=editor)


def test_publisher_publishes_and_history_records_who_and_why(publisher):
    entry = EntryFactory(status="review")
    services.entry_publish(entry=entry, user=publisher, reason="Two sources agree")
    entry.refresh_from_db()
    assert entry.status == "published"
    assert entry.published_at is not None
    latest = entry.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (publisher, "Two sources agree")


def test_publishing_without_a_source_is_refused(publisher):
    entry = EntryFactory(status="review", sources=[])
    with pytest.raises(ValidationError) as error:
        services.entry_publish(entry=entry, user=publisher)
    assert "cannot be published without a source" in str(error.value)
    entry.refresh_from_db()
    assert entry.status == "review"


def test_a_figure_revision_is_a_new_row_and_the_old_one_stays(editor):
    first = FigureFactory(metric="injured", best=7, qualifier="at_least")
    revision = services.figure_record_revision(
        previous=first,
        user=editor,
        qualifier="more_than",
        as_of=first.as_of + dt.timedelta(hours=4),
        reason="City raised the count",
    )
    first.refresh_from_db()
    assert first.display == "at least 7 injured"
    assert revision.pk != first.pk
    assert revision.display == "more than 7 injured"
    assert revision.history.latest().history_user == editor


def test_a_figure_revision_that_breaks_a_rule_is_refused_and_nothing_is_written(editor):
    first = FigureFactory(best=4)
    with pytest.raises(ValidationError):
        services.figure_record_revision(previous=first, user=editor, best=4, low=9)
    assert first.entry.figures.count() == 1
