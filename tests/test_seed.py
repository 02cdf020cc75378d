"""The seed story (fixtures/geneva-talks-kyiv-strikes.json) loads, is valid and is faithful to
the article it comes from."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from timeline.models import (
    ENTRY_KINDS_BY_TRACK,
    Actor,
    Assessment,
    Claim,
    ClaimEvidence,
    Entry,
    EntryActor,
    EntryLink,
    Figure,
    Place,
    Source,
    validate_has_source,
    validate_publishable,
)

from . import factories

SEED = "geneva-talks-kyiv-strikes"
TALKS = "geneva-talks-on-us-peace-plan"
KYIV_STRIKES = "russian-missiles-and-drones-hit-kyiv"
ENERGY = "strikes-on-energy-infrastructure-blackouts-in-kyiv"
ODESA = "missiles-and-drones-hit-odesa-region-energy-and-port-facilities"
TAGANROG = "ukrainian-drones-hit-taganrog"
INTERCEPTIONS = "russia-says-it-intercepted-more-than-200-drones"
WITHIN_REACH = "trump-says-peace-deal-within-reach"

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(db):
    call_command("loaddata", SEED, verbosity=0)


def kyiv_day(value):
    return timezone.localtime(value).date()


def claim_by(claimant_slug, words):
    """The one claim by this actor whose quote or paraphrase contains these words."""
    matches = [
        claim
        for claim in Claim.objects.filter(claimant__slug=claimant_slug)
        if words in claim.quote or words in claim.paraphrase
    ]
    assert len(matches) == 1, (claimant_slug, words, matches)
    return matches[0]


def figures(entry_slug, metric, scope_slug):
    return list(
        Figure.objects.filter(
            entry__slug=entry_slug, metric=metric, scope__slug=scope_slug
        ).order_by("as_of", "pk")
    )


def test_seed_story_loads_and_every_object_is_valid(seed):
    models = [Source, Place, Actor, Entry, EntryActor, EntryLink, Claim, ClaimEvidence, Figure]
    for model in models:
        objects = list(model.objects.all())
        assert objects, model
        for obj in objects:
            obj.full_clean()
    for entry in Entry.objects.all():
        assert entry.kind in ENTRY_KINDS_BY_TRACK[entry.track], entry
        validate_publishable(status=entry.status, sources=entry.sources.all())
    for claim in Claim.objects.all():
        validate_has_source(claim.sources.all(), what="claim")


def test_seed_story_has_the_expected_number_of_each_thing(seed):
    assert Entry.objects.filter(track="diplomacy").count() == 8
    assert Entry.objects.filter(track="military").count() == 5
    assert Claim.objects.count() == 38
    assert Figure.objects.count() == 10
    assert Actor.objects.count() == 26
    assert Place.objects.count() == 12
    assert EntryLink.objects.count() == 14
    assert ClaimEvidence.objects.count() == 3
    assert Source.objects.count() == 1


def test_the_only_source_is_the_article_with_no_invented_address(seed):
    source = Source.objects.get()
    assert source.title == (
        "Russia attacks Kyiv after Trump peace deal hope, and the contrast feels brutal"
    )
    assert source.source_type == Source.Type.NEWS_REPORT
    assert source.url == ""
    assert source.archive_url == ""
    assert source.publisher == ""
    assert "not known" in source.notes


def test_every_entry_is_published_sourced_and_says_its_date_is_inferred(seed):
    source = Source.objects.get()
    for entry in Entry.objects.all():
        assert entry.status == Entry.Status.PUBLISHED
        assert entry.published_at is not None
        assert list(entry.sources.all()) == [source]
        assert "inferred" in entry.time_note, entry


def test_every_claim_and_figure_stands_on_the_source(seed):
    source = Source.objects.get()
    for claim in Claim.objects.all():
        assert list(claim.sources.all()) == [source], claim
        assert claim.paraphrase.strip(), claim
    assert not Figure.objects.exclude(source=source).exists()


def test_every_graded_claim_has_a_date_and_a_reason(seed):
    graded = Claim.objects.exclude(assessment=Assessment.UNVERIFIED)
    assert graded.exists()
    for claim in graded:
        assert claim.assessed_on == dt.date(2025, 11, 25), claim
        assert claim.assessment_reason.strip(), claim


def test_most_claims_stay_unverified(seed):
    grades = {claim.assessment for claim in Claim.objects.exclude(assessment="unverified")}
    assert grades == {"contradicted", "disputed", "corroborated"}
    assert Claim.objects.filter(assessment="unverified").count() >= 30


def test_geneva_talks_span_the_weekend_of_22_and_23_november(seed):
    talks = Entry.objects.get(slug=TALKS)
    assert (talks.track, talks.kind, talks.precision) == ("diplomacy", "talks", "several_days")
    assert kyiv_day(talks.occurred_at) == dt.date(2025, 11, 22)
    assert kyiv_day(talks.ended_at) == dt.date(2025, 11, 23)
    assert "23 November 2025" in talks.time_note
    assert [place.slug for place in talks.places.all()] == ["geneva"]


def test_the_strikes_came_before_dawn_on_tuesday_25_november_in_kyiv_time(seed):
    strikes = Entry.objects.get(slug=KYIV_STRIKES)
    local = timezone.localtime(strikes.occurred_at)
    assert (local.date(), local.hour) == (dt.date(2025, 11, 25), 3)
    assert local.utcoffset() == dt.timedelta(hours=2)
    assert strikes.precision == "part_of_day"
    assert "Tuesday" in strikes.time_note and "25 November 2025" in strikes.time_note
    for slug in (ENERGY, ODESA, TAGANROG, INTERCEPTIONS):
        assert kyiv_day(Entry.objects.get(slug=slug).occurred_at) == dt.date(2025, 11, 25)
    assert {place.slug for place in strikes.places.all()} == {
        "ukraine",
        "kyiv",
        "dniprovskyi-district",
        "pechersk-district",
        "sviatoshynskyi-district",
    }


def test_districts_and_cities_sit_in_their_parents(seed):
    parent = dict(Place.objects.values_list("slug", "parent__slug"))
    assert parent["dniprovskyi-district"] == "kyiv"
    assert parent["pechersk-district"] == "kyiv"
    assert parent["sviatoshynskyi-district"] == "kyiv"
    assert parent["kyiv"] == "ukraine"
    assert parent["odesa-region"] == "ukraine"
    assert parent["taganrog"] == "rostov-region"
    assert parent["rostov-region"] == "russia"
    assert parent["geneva"] == "switzerland"
    assert parent["crimea-occupied"] == "ukraine"
    assert Place.objects.get(slug="crimea-occupied").name == "Crimea (occupied)"
    kyiv = Place.objects.get(slug="kyiv")
    assert (float(kyiv.latitude), float(kyiv.longitude)) == (50.4501, 30.5234)
    assert kyiv.coordinate_precision == "city"


def test_actors_belong_to_their_parents_and_sides(seed):
    actor = {a.slug: a for a in Actor.objects.select_related("parent")}
    assert actor["trump-administration"].parent.slug == "united-states"
    assert actor["kyiv-city-military-administration"].parent.slug == "ukraine"
    assert actor["rostov-region-local-authorities"].parent.slug == "russia"
    assert actor["vladimir-putin"].side_id == "russia"
    assert actor["mayor-of-kyiv"].side_id == "ukraine"
    assert actor["donald-trump"].side_id == "third_party"
    assert actor["critics-in-kyiv-and-european-capitals"].kind == Actor.Kind.GROUP
    for slug, a in actor.items():
        assert slug == a.slug.lower() and " " not in slug


def test_kyiv_injured_figure_was_revised_from_at_least_7_to_more_than_7(seed):
    history = figures(KYIV_STRIKES, "injured", "kyiv")
    assert [(f.qualifier, f.best) for f in history] == [("at_least", 7), ("more_than", 7)]
    assert history[0].as_of < history[1].as_of
    assert [f.display_value for f in history] == ["at least 7", "more than 7"]
    strikes = Entry.objects.get(slug=KYIV_STRIKES)
    current = {(f.metric, f.scope.slug): f for f in strikes.current_figures()}
    assert current["injured", "kyiv"].display_value == "more than 7"
    assert current["killed", "kyiv"].display_value == "at least 4"
    assert current["killed", "ukraine"].display_value == "at least 6"


def test_dniprovskyi_toll_is_2_killed_and_at_least_5_injured_per_the_mayor(seed):
    [killed] = figures(KYIV_STRIKES, "killed", "dniprovskyi-district")
    [injured] = figures(KYIV_STRIKES, "injured", "dniprovskyi-district")
    assert (killed.qualifier, killed.best) == ("exact", 2)
    assert (injured.qualifier, injured.best) == ("at_least", 5)
    assert killed.reported_by.slug == injured.reported_by.slug == "mayor-of-kyiv"


def test_pechersk_and_sviatoshynskyi_have_no_invented_numbers(seed):
    assert not Figure.objects.filter(
        scope__slug__in=["pechersk-district", "sviatoshynskyi-district"]
    ).exists()
    summary = Entry.objects.get(slug=KYIV_STRIKES).summary
    assert "Svyatoshynyi" in summary and "no numbers given" in summary
    assert "Pechersk" in summary


def test_taganrog_toll_is_at_least_3_killed_in_taganrog(seed):
    [killed] = figures(TAGANROG, "killed", "taganrog")
    assert (killed.qualifier, killed.best) == ("at_least", 3)
    assert killed.reported_by.side_id == "russia"
    assert not Figure.objects.filter(entry__slug=TAGANROG, metric="injured").exists()
    taganrog = Entry.objects.get(slug=TAGANROG)
    assert (taganrog.track, taganrog.kind) == ("military", "cross_border_strike")


def test_russia_claims_more_than_200_drones_intercepted(seed):
    [figure] = Figure.objects.filter(metric="drones_intercepted")
    assert (figure.qualifier, figure.best) == ("more_than", 200)
    assert figure.entry.kind == "interception_report"
    assert figure.reported_by.side_id == "russia"
    claim = Claim.objects.get(entry=figure.entry)
    assert claim.claimant.side_id == "russia"
    assert claim.assessment_reason


def test_odesa_region_has_at_least_6_injured_including_children(seed):
    [injured] = figures(ODESA, "injured", "odesa-region")
    assert (injured.qualifier, injured.best) == ("at_least", 6)
    assert "children" in injured.note
    assert injured.reported_by.slug == "odesa-regional-authorities"


@pytest.mark.parametrize(
    ("claimant", "quote"),
    [
        ("white-house", "very constructive"),
        ("critics-in-kyiv-and-european-capitals", "surrender plan"),
        ("head-of-kyiv-city-military-administration", "cynical terror"),
        ("head-of-kyiv-city-military-administration", "deliberately"),
    ],
)
def test_words_the_article_puts_in_quotation_marks_are_quoted(seed, claimant, quote):
    assert claim_by(claimant, quote).quote == quote


@pytest.mark.parametrize(
    ("claimant", "words"),
    [
        ("donald-trump", "within reach"),
        ("donald-trump", "no other leader could push the war parties this close to a deal"),
        ("white-house", "starting point, not a finished treaty"),
        ("white-house", "most productive round so far"),
        ("vladimir-putin", "basis for a lasting settlement"),
        ("vladimir-putin", "clarifications"),
    ],
)
def test_reported_speech_is_paraphrased_not_quoted(seed, claimant, words):
    claim = claim_by(claimant, words)
    assert words in claim.paraphrase
    assert claim.quote == ""


def test_within_reach_is_contradicted_by_the_strikes_that_followed(seed):
    claim = claim_by("donald-trump", "within reach")
    assert claim.entry.slug == WITHIN_REACH
    assert claim.assessment == Assessment.CONTRADICTED
    [evidence] = claim.evidence.all()
    assert evidence.relation == "contradicts"
    assert evidence.entry.slug == KYIV_STRIKES


def test_the_terrorism_accusation_and_ukraines_answer_dispute_each_other(seed):
    accusation = claim_by("russia", "terrorism")
    answer = claim_by("ukraine", "legitimate responses")
    assert accusation.assessment == answer.assessment == Assessment.DISPUTED
    assert accusation.evidence.get().other_claim == answer
    assert answer.evidence.get().other_claim == accusation


def test_the_plan_terms_come_from_people_familiar_with_it(seed):
    terms = Claim.objects.filter(claimant__slug="people-familiar-with-the-plan")
    text = " ".join(terms.values_list("paraphrase", flat=True))
    for words in ("occupied territories", "armed forces", "NATO", "sanctions", "economic ties"):
        assert words in text
    assert set(terms.values_list("entry__kind", flat=True)) == {"proposal"}


def test_entries_are_linked_as_the_article_frames_them(seed):
    def linked(from_slug, to_slug, kind):
        return EntryLink.objects.filter(
            from_entry__slug=from_slug, to_entry__slug=to_slug, kind=kind
        ).exists()

    assert linked(TAGANROG, KYIV_STRIKES, "retaliation_for")
    assert linked(KYIV_STRIKES, TALKS, "follows")
    assert linked(INTERCEPTIONS, TAGANROG, "context")
    assert linked(ODESA, KYIV_STRIKES, "context")


def test_the_strike_entries_name_who_attacked(seed):
    def initiators(slug):
        return set(
            EntryActor.objects.filter(entry__slug=slug, role="initiator").values_list(
                "actor__slug", flat=True
            )
        )

    assert "russian-armed-forces" in initiators(KYIV_STRIKES)
    assert initiators(TAGANROG) == {"ukrainian-armed-forces"}


def test_seed_if_empty_loads_the_story_into_an_empty_database(db):
    assert not Entry.objects.exists()
    out = StringIO()
    call_command("seed_if_empty", stdout=out)
    assert Entry.objects.count() == 13
    assert "Loaded the seed story (13 entries)" in out.getvalue()


def test_seed_if_empty_does_nothing_when_entries_exist(db):
    factories.EntryFactory()
    out = StringIO()
    call_command("seed_if_empty", stdout=out)
    assert Entry.objects.count() == 1
    assert not Claim.objects.exists()
    assert "already has entries" in out.getvalue()
