"""The seed story (fixtures/geneva-talks-kyiv-strikes.json) loads, is valid and is faithful to
the article it comes from."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.conf import settings
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
    PlaceAlias,
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
PLAN = "us-28-point-peace-plan"
PUTIN = "putin-says-us-plan-could-be-basis-for-settlement"
WHITE_HOUSE = "white-house-plan-is-starting-point"
UKRAINE_ANSWER = "ukraine-sets-out-what-peace-plan-must-give"
EUROPE = "european-governments-worry-about-precedent"
US_DEBATE = "us-critics-and-supporters-of-peace-plan"
SAME_NIGHT = (KYIV_STRIKES, ENERGY, TAGANROG, INTERCEPTIONS)
OUTSIDE = "Month and year come from outside the source."
# The article is kept beside the repository (../shared/source/), where CI has it too.
ARTICLE = settings.BASE_DIR.parent / "shared" / "source" / "kyiv-strikes-after-peace-deal-hope.txt"

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
    models = [
        Source,
        Place,
        PlaceAlias,
        Actor,
        Entry,
        EntryActor,
        EntryLink,
        Claim,
        ClaimEvidence,
        Figure,
    ]
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
    assert Claim.objects.count() == 39
    assert Figure.objects.count() == 10
    assert Actor.objects.count() == 26
    assert EntryActor.objects.count() == 44
    assert Place.objects.count() == 12
    assert PlaceAlias.objects.count() == 20
    assert EntryLink.objects.count() == 15
    assert ClaimEvidence.objects.count() == 4
    assert Source.objects.count() == 1


def test_the_only_source_is_the_article_with_no_invented_address(seed):
    source = Source.objects.get()
    assert source.source_type == Source.Type.NEWS_REPORT
    assert source.url == ""
    assert source.archive_url == ""
    assert source.publisher == ""
    assert "not known" in source.notes
    assert "the month and year, November 2025, come from outside the article" in source.notes


def test_the_source_title_is_the_headline_not_the_first_sentence(seed):
    """The article's first line runs the headline into the lede: "Russia attacks Kyiv after
    Trump peace deal hope, and the contrast feels brutal." The headline is the phrase before
    the comma: the article repeats it as its key phrase ("each time Russia attacks Kyiv after
    the Trump peace deal hope"), while "and the contrast feels brutal" is the lede's comment,
    which the next sentences explain ("In public, Washington talks about progress...")."""
    source = Source.objects.get()
    assert source.title == "Russia attacks Kyiv after Trump peace deal hope"
    assert "contrast" not in source.title
    if ARTICLE.exists():
        first_line = ARTICLE.read_text(encoding="utf-8").splitlines()[0]
        assert first_line.startswith(source.title + ", and the contrast feels brutal.")


def test_every_entry_is_published_sourced_and_says_its_date_is_inferred(seed):
    source = Source.objects.get()
    for entry in Entry.objects.all():
        assert entry.status == Entry.Status.PUBLISHED
        assert entry.published_at is not None
        assert list(entry.sources.all()) == [source]
        assert entry.time_note.startswith("Inferred: "), entry
        assert entry.time_note.count(OUTSIDE) == 1, entry


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
    assert grades == {"disputed", "corroborated"}
    assert Claim.objects.filter(assessment="unverified").count() >= 30


def test_geneva_talks_span_the_weekend_of_22_and_23_november(seed):
    talks = Entry.objects.get(slug=TALKS)
    assert (talks.track, talks.kind, talks.precision) == ("diplomacy", "talks", "several_days")
    assert kyiv_day(talks.occurred_at) == dt.date(2025, 11, 22)
    assert kyiv_day(talks.ended_at) == dt.date(2025, 11, 23)
    assert "23 November 2025" in talks.time_note
    assert [place.slug for place in talks.places.all()] == ["geneva"]


def test_the_strikes_came_in_the_night_to_tuesday_25_november_in_kyiv_time(seed):
    strikes = Entry.objects.get(slug=KYIV_STRIKES)
    local = timezone.localtime(strikes.occurred_at)
    assert (local.date(), local.hour) == (dt.date(2025, 11, 25), 0)
    assert local.utcoffset() == dt.timedelta(hours=2)
    assert (strikes.precision, strikes.ended_at) == ("part_of_day", None)
    assert "“Shortly before dawn on Tuesday”" in strikes.time_note
    assert "“Later in the night”" in strikes.time_note
    assert "Tuesday 25 November" in strikes.time_note
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


def test_kyiv_injured_has_two_reports_officials_at_least_7_and_the_combined_toll_more_than_7(
    seed,
):
    history = figures(KYIV_STRIKES, "injured", "kyiv")
    assert [(f.qualifier, f.best) for f in history] == [("at_least", 7), ("more_than", 7)]
    assert [f.display_value for f in history] == ["at least 7", "more than 7"]
    officials, combined = history
    assert officials.reported_by.slug == "ukrainian-officials"
    assert "“Officials said”" in officials.note
    assert combined.reported_by is None
    # The article gives no order between the two; the later time is inferred, and says so.
    assert officials.as_of < combined.as_of
    assert "“remained fluid through the morning”" in combined.note
    assert "inferred" in combined.note
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
    assert figure.scope.slug == "russia"
    assert figure.scope_label == "Several regions and occupied Crimea"
    assert figure.scope_name == figure.scope_label
    assert "“over several regions and over occupied Crimea”" in figure.note
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


def test_within_reach_stays_unverified_with_the_strikes_linked_as_context(seed):
    claim = claim_by("donald-trump", "within reach")
    assert claim.entry.slug == WITHIN_REACH
    assert claim.assessment == Assessment.UNVERIFIED
    assert not claim.evidence.exists()
    assert not ClaimEvidence.objects.filter(relation="contradicts", entry__isnull=False).exists()
    assert "“The question now is whether those texts can catch up with events on the ground.”" in (
        claim.assessment_reason
    )
    assert "linked to this entry as context" in claim.assessment_reason
    link = EntryLink.objects.get(from_entry__slug=KYIV_STRIKES, to_entry__slug=WITHIN_REACH)
    assert link.kind == EntryLink.Kind.CONTEXT
    # The article names Kyiv and the Odesa region: nothing about "cities across Ukraine".
    assert "cities" not in link.note


def test_the_terrorism_accusation_and_ukraines_answer_dispute_each_other(seed):
    accusation = claim_by("russia", "terrorism")
    answer = claim_by("ukraine", "legitimate responses")
    assert accusation.assessment == answer.assessment == Assessment.DISPUTED
    assert accusation.evidence.get().other_claim == answer
    assert answer.evidence.get().other_claim == accusation


def test_surrender_plan_and_no_humiliating_agreement_dispute_each_other(seed):
    surrender = claim_by("critics-in-kyiv-and-european-capitals", "surrender plan")
    no_humiliation = claim_by("trump-administration", "humiliating agreement")
    assert surrender.assessment == no_humiliation.assessment == Assessment.DISPUTED
    assert surrender.evidence.get().other_claim == no_humiliation
    assert no_humiliation.evidence.get().other_claim == surrender
    assert "“say no one will force Ukraine into a humiliating agreement”" in (
        surrender.assessment_reason
    )
    assert "“surrender plan”" in no_humiliation.assessment_reason
    # "Steady progress" is a claim of its own, not caught up in the dispute.
    assert claim_by("trump-administration", "steady progress").assessment == "unverified"


@pytest.mark.parametrize(
    ("claimant", "words", "article_words"),
    [
        (
            "kyiv-city-authorities",
            "several districts",
            "“Residents in several districts woke to the sound of explosions",
        ),
        ("kyiv-emergency-teams", "burning apartment blocks", "blackened facades"),
        ("ukraine-energy-ministry", "energy infrastructure", "“Water, electricity, and heat"),
    ],
)
def test_claims_the_articles_own_reporting_bears_out_are_corroborated(
    seed, claimant, words, article_words
):
    claim = claim_by(claimant, words)
    assert claim.assessment == Assessment.CORROBORATED
    assert claim.assessment_reason.startswith("The source's own reporting bears it out: ")
    assert article_words in claim.assessment_reason


def test_every_grade_quotes_the_article_verbatim(seed):
    if not ARTICLE.exists():
        pytest.skip(f"{ARTICLE} is not here")
    article = ARTICLE.read_text(encoding="utf-8")
    graded = Claim.objects.exclude(assessment=Assessment.UNVERIFIED)
    assert graded.count() == 7
    for claim in graded:
        quoted = re.findall(r"“([^”]+)”", claim.assessment_reason)
        assert quoted, claim
        for phrase in quoted:
            assert phrase in article, (claim, phrase)


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


# --- Who reported each number --------------------------------------------------------------


def test_the_nationwide_toll_has_no_reporter_and_its_note_quotes_the_article(seed):
    [nationwide] = figures(KYIV_STRIKES, "killed", "ukraine")
    assert (nationwide.qualifier, nationwide.best) == ("at_least", 6)
    assert nationwide.reported_by is None
    assert "“Nationwide, the strikes killed at least six people and wounded many others”" in (
        nationwide.note
    )


def test_the_combined_toll_for_the_capital_is_the_articles_own(seed):
    for metric in ("killed", "injured"):
        latest = figures(KYIV_STRIKES, metric, "kyiv")[-1]
        assert latest.reported_by is None, metric
        assert "In the source's own voice" in latest.note


def test_figure_5_gives_both_statements_and_claims_no_revision(seed):
    combined = figures(KYIV_STRIKES, "injured", "kyiv")[-1]
    assert "revised" not in combined.note.lower()
    assert "“more than seven injured”" in combined.note
    assert "“at least seven”" in combined.note
    assert "without saying which came first" in combined.note


@pytest.mark.parametrize(
    ("entry", "metric", "scope", "words"),
    [
        (KYIV_STRIKES, "killed", "ukraine", "“Nationwide, the strikes killed at least six people"),
        (KYIV_STRIKES, "injured", "kyiv", "“left several wounded”"),
        (TAGANROG, "killed", "taganrog", "“injuring several others”"),
    ],
)
def test_wounded_without_a_number_are_said_in_a_note_not_left_out(
    seed, entry, metric, scope, words
):
    assert words in figures(entry, metric, scope)[-1].note


# --- The article's order ---------------------------------------------------------------------


def test_entries_read_in_the_articles_order_on_the_timeline(seed):
    """The plan of the past week, the Geneva weekend with Putin and Trump "at the same time",
    the White House "now", the night's strikes, then what Kyiv, Europe and Washington say after
    them. The timeline orders newest first by time, then by id; read oldest first here."""
    order = [PLAN, TALKS, PUTIN, WITHIN_REACH, WHITE_HOUSE, KYIV_STRIKES, ENERGY, ODESA, TAGANROG]
    order += [INTERCEPTIONS, UKRAINE_ANSWER, EUROPE, US_DEBATE]
    assert list(Entry.objects.order_by("occurred_at", "id").values_list("slug", flat=True)) == (
        order
    )
    assert list(Entry.objects.values_list("slug", flat=True)) == order[::-1]


def test_the_same_night_is_one_window(seed):
    windows = {
        (entry.occurred_at, entry.precision, entry.ended_at)
        for entry in Entry.objects.filter(slug__in=SAME_NIGHT)
    }
    assert len(windows) == 1
    [(start, precision, end)] = windows
    assert timezone.localtime(start) == timezone.make_aware(dt.datetime(2025, 11, 25, 0, 0))
    assert (precision, end) == ("part_of_day", None)
    assert Entry.objects.exclude(slug__in=SAME_NIGHT).filter(precision="part_of_day").count() == 0


def test_putin_and_trump_speak_at_the_same_time_as_the_geneva_weekend(seed):
    talks = Entry.objects.get(slug=TALKS)
    for slug in (PUTIN, WITHIN_REACH):
        entry = Entry.objects.get(slug=slug)
        assert (entry.occurred_at, entry.precision, entry.ended_at) == (
            talks.occurred_at,
            talks.precision,
            talks.ended_at,
        )
        assert "“At the same time”" in entry.time_note


def test_kyivs_verdict_sits_on_an_entry_that_answers_tuesdays_strikes(seed):
    strikes = Entry.objects.get(slug=KYIV_STRIKES)
    for claimant, words in (
        ("many-ukrainians", "signal"),
        ("many-ukrainians", "rewards aggression"),
        ("ukrainian-officials", "generous talk about peace"),
    ):
        entry = claim_by(claimant, words).entry
        assert entry.slug == UKRAINE_ANSWER
        assert entry.occurred_at >= strikes.occurred_at
    assert EntryLink.objects.filter(
        from_entry__slug=UKRAINE_ANSWER, to_entry=strikes, kind="responds_to"
    ).exists()


# --- Names as the article gives them ---------------------------------------------------------


def test_the_head_of_the_kcma_makes_the_cynical_terror_claim_not_the_administration(seed):
    head = Actor.objects.get(slug="head-of-kyiv-city-military-administration")
    assert head.name == "Head of the Kyiv City Military Administration"
    assert head.kind == Actor.Kind.OFFICIAL
    assert head.parent.slug == "kyiv-city-military-administration"
    assert claim_by(head.slug, "cynical terror").claimant == head
    assert claim_by(head.slug, "deliberately").claimant == head
    assert not Claim.objects.filter(claimant__slug="kyiv-city-military-administration").exists()
    assert not EntryActor.objects.filter(
        actor__slug="kyiv-city-military-administration", role="speaker"
    ).exists()


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("kiev", "kyiv"),
        ("Kyiv City", "kyiv"),
        ("Kyiv city", "kyiv"),
        ("Kiev City", "kyiv"),
        ("Svyatoshynyi district", "sviatoshynskyi-district"),
        ("Sviatoshynskyi", "sviatoshynskyi-district"),
        ("Svyatoshinsky", "sviatoshynskyi-district"),
        ("Dniprovsky", "dniprovskyi-district"),
        ("Pecherskyi district", "pechersk-district"),
        ("Odessa region", "odesa-region"),
        ("Odesa oblast", "odesa-region"),
        ("Odeska", "odesa-region"),
        ("Rostov oblast", "rostov-region"),
        ("Crimea", "crimea-occupied"),
        ("Autonomous Republic of Crimea", "crimea-occupied"),
    ],
)
def test_places_match_their_common_spellings(seed, name, slug):
    assert [place.slug for place in Place.objects.matching_name(name)] == [slug]


def test_place_aliases_have_their_name_keys(seed):
    for alias in PlaceAlias.objects.all():
        assert alias.name_key == " ".join(alias.name.split()).casefold(), alias


@pytest.mark.parametrize(
    ("slug", "alias"),
    [
        ("russian-armed-forces", "Military Forces of Russia (2000-)"),
        ("ukrainian-armed-forces", "Military Forces of Ukraine (2019-)"),
        ("ukraine", "Government of Ukraine"),
        ("russia", "Government of Russia (Soviet Union)"),
    ],
)
def test_actors_carry_the_names_conflict_datasets_give_them(seed, slug, alias):
    assert alias in Actor.objects.get(slug=slug).alias_list
