import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from timeline.models import Claim, Entry, Figure, Place, validate_publishable

from .factories import (
    ActorFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EntryFactory,
    EntryLinkFactory,
    FigureFactory,
    PlaceFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected_by_database(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_figure_low_above_best_is_rejected_by_the_database():
    assert_rejected_by_database(lambda: FigureFactory(low=9, best=4))


def test_figure_high_below_best_is_rejected_by_the_database():
    assert_rejected_by_database(lambda: FigureFactory(best=4, high=3))


def test_figure_validation_names_the_broken_rule_for_editors():
    figure = FigureFactory.build(
        entry=EntryFactory(), scope=PlaceFactory(), reported_by=ActorFactory(), low=9, best=4
    )
    figure.source.save()
    figure.source_id = figure.source.pk
    with pytest.raises(ValidationError) as error:
        figure.full_clean()
    assert "The low estimate cannot be above the best estimate." in str(error.value)


def test_entry_slugs_are_unique():
    EntryFactory(slug="kyiv-strike")
    assert_rejected_by_database(lambda: EntryFactory(slug="kyiv-strike"))


def test_entry_without_slug_gets_a_unique_one_from_its_title():
    first = EntryFactory(title="Strike on Kyiv", slug="")
    second = EntryFactory(title="Strike on Kyiv", slug="")
    assert first.slug == "strike-on-kyiv"
    assert second.slug == "strike-on-kyiv-2"


def test_entry_cannot_end_before_it_starts():
    entry = EntryFactory.build()
    entry.ended_at = entry.occurred_at - dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as error:
        entry.full_clean()
    assert "The end time must not be before the start time." in str(error.value)
    assert_rejected_by_database(
        lambda: EntryFactory(ended_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    )


def test_entry_kind_must_belong_to_its_track():
    entry = EntryFactory.build(track="diplomacy", kind=Entry.Kind.MISSILE_STRIKE)
    with pytest.raises(ValidationError) as error:
        entry.full_clean()
    assert error.value.message_dict["kind"] == [
        "“Missile strike” is not a kind of diplomacy entry. Pick a kind that belongs to the track."
    ]


def test_graded_claim_needs_a_date_and_a_reason():
    claim = ClaimFactory()
    claim.assessment = "contradicted"
    with pytest.raises(ValidationError) as error:
        claim.full_clean()
    assert error.value.message_dict["assessed_on"] == ["Give the date of the assessment."]
    assert "readers see the reason" in error.value.message_dict["assessment_reason"][0]

    claim.assessed_on = dt.date(2025, 11, 25)
    claim.assessment_reason = "Strikes on Kyiv followed within two days."
    claim.full_clean()


def test_unverified_claim_needs_no_reason():
    ClaimFactory(assessment="unverified").full_clean()


def test_published_status_requires_a_source():
    with pytest.raises(ValidationError) as error:
        validate_publishable(status=Entry.Status.PUBLISHED, sources=[])
    assert error.value.message_dict["sources"] == [
        "An entry cannot be published without a source. Add at least one source."
    ]
    validate_publishable(status=Entry.Status.DRAFT, sources=[])


def test_place_needs_both_coordinates_or_neither():
    assert_rejected_by_database(lambda: PlaceFactory(latitude=50.45, longitude=None))
    place = PlaceFactory.build(latitude=50.45, longitude=30.52)
    with pytest.raises(ValidationError) as error:
        place.full_clean()
    assert error.value.message_dict["coordinate_precision"] == [
        "Say how precise the coordinates are."
    ]


def test_place_coordinates_must_be_on_earth():
    assert_rejected_by_database(
        lambda: PlaceFactory(latitude=95, longitude=30, coordinate_precision="city")
    )


def test_entry_cannot_link_to_itself():
    entry = EntryFactory()
    assert_rejected_by_database(lambda: EntryLinkFactory(from_entry=entry, to_entry=entry))


def test_evidence_points_to_an_entry_or_a_claim_not_both():
    claim = ClaimFactory()
    assert_rejected_by_database(
        lambda: ClaimEvidenceFactory(claim=claim, entry=EntryFactory(), other_claim=ClaimFactory())
    )
    assert_rejected_by_database(lambda: ClaimEvidenceFactory(claim=claim, entry=None))


def test_published_gate_hides_drafts_and_reviews(published_entry, draft_entry, review_entry):
    assert list(Entry.objects.published()) == [published_entry]


def test_figure_revision_history_keeps_every_report_and_the_latest_is_current():
    first = FigureFactory(metric="injured", best=7, qualifier="at_least")
    later = FigureFactory(
        entry=first.entry,
        scope=first.scope,
        metric="injured",
        best=7,
        qualifier="more_than",
        as_of=first.as_of + dt.timedelta(hours=3),
    )
    other_scope = FigureFactory(entry=first.entry, metric="injured", best=5)
    entry = Entry.objects.with_related().get(pk=first.entry.pk)

    histories = entry.figure_histories()
    assert [f.display for f in histories[("injured", first.scope_id, "")]] == [
        "at least 7 injured",
        "more than 7 injured",
    ]
    assert {f.pk for f in entry.current_figures()} == {later.pk, other_scope.pk}


def test_figure_display_shows_the_range_when_one_is_given():
    figure = Figure(metric="killed", best=5, low=4, high=6, qualifier="about")
    assert figure.display == "about 4–6 killed"
    assert Figure(metric="killed", best=2, qualifier="exact").display == "2 killed"


def test_district_name_shows_its_city():
    kyiv = PlaceFactory(name="Kyiv", kind=Place.Kind.CITY)
    district = PlaceFactory(name="Pechersk", kind=Place.Kind.DISTRICT, parent=kyiv)
    assert str(district) == "Pechersk, Kyiv"


def test_claim_by_a_party_to_the_conflict_is_marked():
    assert ActorFactory(side_id="russia").is_party_to_conflict
    assert not ActorFactory(side_id="third_party").is_party_to_conflict


def test_claims_keep_editor_order_within_an_entry():
    entry = EntryFactory()
    second = ClaimFactory(entry=entry, position=2)
    first = ClaimFactory(entry=entry, position=1)
    assert list(Claim.objects.filter(entry=entry)) == [first, second]
