"""The public pages, read the way a reader reads them: the rendered text."""

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import build_timeline
from timeline.contrast import headline_total
from timeline.models import (
    Actor,
    Assessment,
    Claim,
    ClaimEvidence,
    Entry,
    EntryActor,
    EntryLink,
    Figure,
    Place,
    PlaceTree,
    Source,
)
from timeline.templatetags.timeline_tags import figure_lines, format_when


def at(day, hour=0, minute=0):
    """A Kyiv-time moment in November 2025."""
    return timezone.make_aware(dt.datetime(2025, 11, day, hour, minute))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def text_of(html):
    """What a reader sees: the page's text, whitespace collapsed, no scripts or charts."""
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return text_of(response.content.decode())


def section(html, css_class):
    """The HTML of the first element whose class list starts with `css_class`, up to the
    next element of the same kind of class (good enough for our flat templates)."""
    start = html.index(f'class="{css_class}')
    following = html.find(f'class="{css_class.split("-")[0]}', start + 10)
    return html[start : following if following != -1 else None]


@pytest.fixture
def story(db):
    """A small copy of the seed story: Geneva talks, Trump's claim, strikes on Kyiv and Odesa."""
    ukraine = factories.PlaceFactory(name="Ukraine", slug="ukraine", kind=Place.Kind.COUNTRY)
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv", parent=ukraine)
    pechersk = factories.PlaceFactory(
        name="Pechersk", slug="pechersk", kind=Place.Kind.DISTRICT, parent=kyiv
    )
    dniprovskyi = factories.PlaceFactory(
        name="Dniprovskyi", slug="dniprovskyi", kind=Place.Kind.DISTRICT, parent=kyiv
    )
    odesa = factories.PlaceFactory(name="Odesa", slug="odesa", parent=ukraine)
    geneva = factories.PlaceFactory(name="Geneva", slug="geneva")

    trump = factories.ActorFactory(
        name="Donald Trump", slug="donald-trump", kind=Actor.Kind.OFFICIAL, side_id="third_party"
    )
    white_house = factories.ActorFactory(
        name="White House", slug="white-house", side_id="third_party", country="United States"
    )
    putin = factories.ActorFactory(
        name="Vladimir Putin", slug="vladimir-putin", kind=Actor.Kind.OFFICIAL, side_id="russia"
    )
    kcma = factories.ActorFactory(
        name="Kyiv City Military Administration", slug="kcma", kind=Actor.Kind.LOCAL_AUTHORITY
    )
    russian_forces = factories.ActorFactory(
        name="Russian Armed Forces", slug="russian-armed-forces", side_id="russia"
    )

    reuters = factories.SourceFactory(
        title="Russia attacks Kyiv after peace deal hope", publisher="Wire Service"
    )
    offline = factories.SourceFactory(title="Briefing to reporters", publisher="City hall", url="")

    talks = factories.DiplomacyEntryFactory(
        title="Geneva talks on the US peace plan",
        slug="geneva-talks",
        summary="US and Ukrainian delegations discussed a 28-point plan in Geneva.",
        occurred_at=at(22),
        ended_at=at(23, 20),
        precision="several_days",
        time_note="Dates inferred: the source says only “the weekend”.",
        sources=[reuters],
        places=[geneva],
    )
    EntryActor.objects.create(entry=talks, actor=white_house, role=EntryActor.Role.INITIATOR)
    EntryActor.objects.create(entry=talks, actor=trump, role=EntryActor.Role.SPEAKER)
    constructive = factories.ClaimFactory(
        entry=talks,
        claimant=white_house,
        quote="very constructive",
        paraphrase="The White House called the talks very constructive.",
        kind=Claim.Kind.CHARACTERISATION,
        sources=[reuters],
    )

    statement = factories.DiplomacyEntryFactory(
        title="Trump says a peace deal is within reach",
        slug="trump-within-reach",
        kind=Entry.Kind.STATEMENT,
        summary="Trump said he still believed a peace deal was within reach.",
        occurred_at=at(24, 12),
        sources=[reuters],
    )
    within_reach = factories.ClaimFactory(
        entry=statement,
        claimant=trump,
        quote="a peace deal is within reach",
        paraphrase="Trump says a settlement is close.",
        said_at=at(24, 12),
        assessment="contradicted",
        assessed_on=dt.date(2025, 11, 25),
        assessment_reason="Missiles and drones hit Kyiv the next morning.",
        sources=[reuters],
    )
    basis = factories.ClaimFactory(
        entry=statement,
        claimant=putin,
        quote="basis for a lasting settlement",
        paraphrase="Putin says the US plan could be a basis for a settlement.",
        kind=Claim.Kind.POSITION,
        position=1,
        sources=[reuters],
    )

    strike = factories.EntryFactory(
        title="Missiles and drones hit Kyiv before dawn",
        slug="kyiv-strike",
        summary="Russia launched missiles and drones at Kyiv; apartment blocks burned.",
        occurred_at=at(25, 3),
        precision="part_of_day",
        sources=[reuters, offline],
        places=[pechersk, dniprovskyi],
    )
    EntryActor.objects.create(entry=strike, actor=russian_forces, role=EntryActor.Role.INITIATOR)
    EntryActor.objects.create(entry=strike, actor=kcma, role=EntryActor.Role.SPEAKER)
    terror = factories.ClaimFactory(
        entry=strike,
        claimant=kcma,
        quote="cynical terror",
        paraphrase="The city administration called the strike deliberate terror.",
        kind=Claim.Kind.ACCUSATION,
        assessment="corroborated",
        assessed_on=dt.date(2025, 11, 25),
        assessment_reason="Homes and power lines were hit, as reported by several outlets.",
        sources=[offline],
    )
    ClaimEvidence.objects.create(
        claim=within_reach,
        relation=ClaimEvidence.Relation.CONTRADICTS,
        entry=strike,
        note="Strikes followed within a day.",
    )

    def figure(entry, metric, scope, best, qualifier, hour, source=reuters):
        return Figure.objects.create(
            entry=entry,
            metric=metric,
            scope=scope,
            best=best,
            qualifier=qualifier,
            as_of=at(25, hour),
            reported_by=kcma,
            source=source,
        )

    figure(strike, "killed", kyiv, 4, "at_least", 6)
    figure(strike, "injured", kyiv, 7, "at_least", 6)
    figure(strike, "injured", kyiv, 7, "more_than", 14, source=offline)
    figure(strike, "killed", dniprovskyi, 2, "exact", 7)

    odesa_strike = factories.EntryFactory(
        title="Missiles hit port facilities in Odesa region",
        slug="odesa-strike",
        summary="Energy and port facilities were damaged.",
        occurred_at=at(25, 3),
        places=[odesa],
        sources=[reuters],
    )
    figure(odesa_strike, "injured", odesa, 6, "at_least", 9)

    taganrog = factories.EntryFactory(
        title="Ukrainian drones hit Taganrog",
        slug="taganrog",
        kind=Entry.Kind.DRONE_STRIKE,
        summary="Drones hit the city of Taganrog.",
        occurred_at=at(25, 2),
        sources=[reuters],
    )
    EntryLink.objects.create(
        from_entry=taganrog, to_entry=strike, kind=EntryLink.Kind.RETALIATION_FOR
    )
    EntryLink.objects.create(from_entry=strike, to_entry=talks, kind=EntryLink.Kind.FOLLOWS)

    return {
        "places": {
            "ukraine": ukraine,
            "kyiv": kyiv,
            "pechersk": pechersk,
            "odesa": odesa,
            "geneva": geneva,
        },
        "actors": {"trump": trump, "putin": putin, "kcma": kcma, "white_house": white_house},
        "talks": talks,
        "statement": statement,
        "strike": strike,
        "odesa_strike": odesa_strike,
        "taganrog": taganrog,
        "claims": {
            "within_reach": within_reach,
            "constructive": constructive,
            "basis": basis,
            "terror": terror,
        },
    }


# --- Times with their precision ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "precision", "end", "expected"),
    [
        (at(25, 4, 10), "exact", None, "04:10, Tue 25 Nov 2025"),
        (at(25, 3), "part_of_day", None, "before dawn, Tue 25 Nov 2025"),
        (at(25, 0), "part_of_day", None, "overnight, Tue 25 Nov 2025"),
        (at(24, 12), "part_of_day", None, "afternoon, Mon 24 Nov 2025"),
        (at(24), "day", None, "Mon 24 Nov 2025"),
        (at(22), "several_days", at(23, 20), "weekend of 22–23 Nov 2025"),
        (at(20), "several_days", at(23), "20–23 Nov 2025"),
        (at(29), "several_days", at(30) + dt.timedelta(days=2), "29 Nov – 2 Dec 2025"),
        (at(22), "several_days", None, "several days from Sat 22 Nov 2025"),
        (at(17), "week", None, "week of 17 Nov 2025"),
        (at(1), "month", None, "November 2025"),
        (at(24), "day", at(25, 12), "Mon 24 Nov 2025 – Tue 25 Nov 2025"),
    ],
)
def test_time_is_shown_only_as_precisely_as_it_is_known(start, precision, end, expected):
    assert format_when(start, precision, end) == expected


def test_time_is_shown_in_kyiv_time_whatever_the_stored_zone():
    utc_moment = dt.datetime(2025, 11, 25, 2, 10, tzinfo=dt.UTC)
    assert format_when(utc_moment, "exact") == "04:10, Tue 25 Nov 2025"


# --- Figures ---------------------------------------------------------------------------------


def test_figures_read_per_place_broadest_first(story):
    lines = figure_lines(story["strike"].current_figures())
    assert lines == [
        ("Kyiv", "at least 4 killed, more than 7 injured"),
        ("Dniprovskyi", "2 killed"),
    ]


def test_headline_total_does_not_count_a_district_inside_its_city(story):
    # Kyiv: at least 4 killed, of whom 2 in Dniprovskyi: the total is 4, not 6.
    assert headline_total([story["strike"]], "killed", places=PlaceTree()) == ("at least", 4)


def test_headline_total_adds_up_different_entries_and_keeps_the_weakest_wording(story):
    entries = [story["strike"], story["odesa_strike"]]
    assert headline_total(entries, "injured", places=PlaceTree()) == ("at least", 13)
    assert headline_total([story["odesa_strike"]], "killed", places=PlaceTree()) is None


def test_headline_total_adds_places_apart_within_one_entry(db):
    ukraine = factories.PlaceFactory(name="Ukraine", kind=Place.Kind.COUNTRY)
    kyiv = factories.PlaceFactory(name="Kyiv", parent=ukraine)
    odesa = factories.PlaceFactory(name="Odesa", parent=ukraine)
    entry = factories.EntryFactory()
    factories.FigureFactory(entry=entry, scope=kyiv, best=4)
    factories.FigureFactory(entry=entry, scope=odesa, best=2)
    assert headline_total([entry], "killed", places=PlaceTree()) == ("at least", 6)

    factories.FigureFactory(entry=entry, scope=ukraine, best=7)
    assert headline_total([entry], "killed", places=PlaceTree()) == ("at least", 7)


# --- The timeline ---------------------------------------------------------------------------


def test_timeline_shows_days_newest_first_with_diplomacy_beside_military(client, story):
    html = client.get("/").content.decode()
    # An empty column names the latest earlier entry of its track; leave those out here.
    text = re.sub(r"Latest before: .*? \w{3} \d+ Nov 2025", "", text_of(html))
    assert (
        text.index("Tuesday 25 November 2025")
        < text.index("Missiles and drones hit Kyiv before dawn")
        < text.index("Monday 24 November 2025")
        < text.index("Trump says a peace deal is within reach")
        < text.index("Saturday 22 November 2025")
        < text.index("Geneva talks on the US peace plan")
    )
    assert "Diplomacy what was said" in text
    assert "Military what was done" in text
    tuesday = html[html.index("Tuesday 25 November 2025") : html.index("Monday 24 November")]
    diplomacy, military = tuesday.split('class="track track-military"')
    assert "No diplomacy entry this day" in diplomacy
    assert "Missiles and drones hit Kyiv before dawn" in military
    assert "Ukrainian drones hit Taganrog" in military


def test_an_empty_track_says_what_last_happened_on_it(client, story):
    text = page_text(client, "/")
    tuesday = text[text.index("Tuesday 25 November 2025") : text.index("Monday 24 November")]
    assert (
        "No diplomacy entry this day. Latest before: Trump says a peace deal is within reach "
        "Mon 24 Nov 2025"
    ) in tuesday
    saturday = text[text.index("Saturday 22 November 2025") :]
    assert "No military entry this day." in saturday
    assert "Latest before" not in saturday


def test_an_empty_track_says_when_a_filter_hides_it(client, story):
    text = page_text(client, "/?track=military")
    assert "Diplomacy entries are hidden by the track filter." in text
    assert "No diplomacy entry" not in text
    text = page_text(client, "/?place=kyiv")
    assert "No matching diplomacy entry this day." in text


def test_timeline_card_shows_time_places_badges_and_current_figures(client, story):
    text = page_text(client, "/")
    assert "before dawn, Tue 25 Nov 2025" in text
    assert "weekend of 22–23 Nov 2025" in text
    assert "Kyiv: at least 4 killed, more than 7 injured" in text
    assert "Dniprovskyi: 2 killed" in text
    assert "Where Dniprovskyi, Pechersk" in text
    assert "2 claims Contradicted Unverified" in text
    assert "5 published entries, newest first." in text


def test_timeline_card_title_links_to_the_entry(client, story):
    html = client.get("/").content.decode()
    assert '<a href="/entries/kyiv-strike/">Missiles and drones hit Kyiv before dawn</a>' in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("track=diplomacy", ["Geneva talks", "Trump says"], ["Missiles and drones hit Kyiv"]),
        ("track=military", ["Missiles and drones hit Kyiv", "Taganrog"], ["Geneva talks"]),
        ("actor=donald-trump", ["Geneva talks", "Trump says"], ["hit Kyiv", "Odesa region"]),
        ("actor=vladimir-putin", ["Trump says"], ["Geneva talks"]),
        ("place=pechersk", ["Missiles and drones hit Kyiv"], ["Odesa region", "Geneva"]),
        ("place=kyiv", ["Missiles and drones hit Kyiv"], ["Odesa region", "Geneva talks"]),
        ("place=ukraine", ["hit Kyiv", "Odesa region"], ["Geneva talks", "Taganrog"]),
        ("from=2025-11-24&to=2025-11-24", ["Trump says"], ["Geneva talks", "hit Kyiv"]),
        ("from=2025-11-25", ["hit Kyiv", "Taganrog"], ["Trump says"]),
        ("to=2025-11-23", ["Geneva talks"], ["Trump says", "hit Kyiv"]),
        ("assessment=contradicted", ["Trump says"], ["Geneva talks", "hit Kyiv"]),
        ("assessment=corroborated", ["hit Kyiv"], ["Trump says"]),
        ("q=apartment", ["hit Kyiv"], ["Trump says", "Geneva talks"]),
        ("q=TAGANROG", ["Taganrog"], ["hit Kyiv"]),
        ("q=very+constructive", ["Geneva talks"], ["Trump says"]),
        ("q=lasting+settlement", ["Trump says"], ["Geneva talks"]),
        ("track=military&place=kyiv&q=burned", ["hit Kyiv"], ["Odesa region", "Taganrog"]),
    ],
)
def test_timeline_filters_combine_and_show_only_what_matches(client, story, query, shown, hidden):
    text = page_text(client, f"/?{query}")
    for title in shown:
        assert title in text, query
    for title in hidden:
        assert title not in text.split("these filters.")[-1], query
    count = len(shown) if query != "place=ukraine" else 2
    assert re.search(r"\d+ entr(y|ies) match", text)
    if query in ("track=diplomacy", "place=kyiv", "q=apartment"):
        assert f"{count if query != 'place=kyiv' else 1} entr" in text


def test_place_filter_includes_entries_in_child_places(client, story):
    # The Kyiv strike is tagged with its districts only, yet Kyiv and Ukraine find it.
    assert story["strike"].places.filter(slug="kyiv").exists() is False
    for slug in ("kyiv", "ukraine"):
        text = page_text(client, f"/?place={slug}")
        assert "Missiles and drones hit Kyiv before dawn" in text


def test_timeline_says_how_many_entries_match(client, story):
    text = page_text(client, "/?track=military")
    assert "3 entries match these filters." in text
    text = page_text(client, "/?q=apartment")
    assert "1 entry matches these filters." in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=banana", "Enter a date as YYYY-MM-DD"),
        ("to=2025-13-45", "Enter a date as YYYY-MM-DD"),
        ("place=atlantis", "We have no place called “atlantis”"),
        ("actor=nobody", "We have no actor called “nobody”"),
        ("track=naval", "Choose diplomacy, military or both tracks"),
        ("assessment=maybe", "That is not one of our assessments"),
        ("from=2025-11-25&to=2025-11-20", "The “from” date is after the “to” date"),
        ("q=" + "x" * 300, "at most 200 characters"),
        ("from=0001-01-01", "Pick a date from 1900 onwards."),
        ("to=9999-12-31", "Pick a date before the year 3000."),
    ],
)
def test_invalid_filter_values_get_a_friendly_message_not_an_error(client, story, query, message):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "Some filters could not be used" in text
    assert message in text


def test_an_invalid_filter_is_ignored_while_the_valid_ones_still_apply(client, story):
    text = page_text(client, "/?track=diplomacy&place=atlantis")
    assert "Geneva talks" in text
    assert "Missiles and drones hit Kyiv" not in text


def test_filter_form_keeps_the_chosen_values_so_results_are_bookmarkable(client, story):
    html = client.get("/?track=military&place=kyiv&q=burned").content.decode()
    assert '<option value="military" selected>' in html
    assert 'name="place" value="kyiv"' in html
    assert 'value="burned"' in html


def test_filter_form_fields_are_labelled(client, story):
    html = client.get("/").content.decode()
    for name in ("q", "track", "actor", "place", "from", "to", "assessment"):
        assert f'<label for="id_{name}">' in html
        assert f'id="id_{name}"' in html


@pytest.fixture
def many_entries(db):
    source = factories.SourceFactory()
    start = at(25, 12)
    entries = Entry.objects.bulk_create(
        Entry(
            title=f"Strike {n:02d}",
            slug=f"strike-{n:02d}",
            summary="Drones hit the city.",
            track="military",
            kind=Entry.Kind.DRONE_STRIKE,
            status=Entry.Status.PUBLISHED,
            # Pairs share a time, so the keyset must break ties by id.
            occurred_at=start - dt.timedelta(hours=n // 2),
            precision="day",
        )
        for n in range(35)
    )
    Entry.sources.through.objects.bulk_create(
        Entry.sources.through(entry_id=entry.pk, source_id=source.pk) for entry in entries
    )
    return entries


def titles_on(text):
    return re.findall(r"Strike \d\d", text)


def test_timeline_pages_by_keyset_with_an_older_entries_link(client, many_entries):
    response = client.get("/")
    html = response.content.decode()
    first = titles_on(text_of(html))
    assert len(first) == 30
    link = re.search(r'<a class="pager-older" rel="next" href="([^"]+)">Older entries</a>', html)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert "cursor=" in href
    assert "page=" not in href and "offset" not in href
    second = titles_on(page_text(client, href))
    assert len(second) == 5
    assert not set(first) & set(second)
    assert len(set(first) | set(second)) == 35


def test_older_entries_link_keeps_the_filters(client, many_entries):
    html = client.get("/?track=military").content.decode()
    href = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "track=military" in href
    assert "cursor=" in href


@pytest.mark.parametrize("cursor", ["nonsense", "12_", "_5", "1e9_2", "99999999999999999999999_1"])
def test_an_invalid_cursor_gets_a_friendly_message(client, many_entries, cursor):
    response = client.get(f"/?cursor={cursor}")
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "That “older entries” link is broken or out of date" in text
    assert len(titles_on(text)) == 30


def test_timeline_with_no_entries_says_so(client, db):
    text = page_text(client, "/")
    assert "Nothing has been published yet." in text


# --- Entry page -----------------------------------------------------------------------------


def test_entry_page_shows_summary_when_where_and_who(client, story):
    text = page_text(client, "/entries/geneva-talks/")
    assert "Geneva talks on the US peace plan" in text
    assert "US and Ukrainian delegations discussed a 28-point plan in Geneva." in text
    assert "When weekend of 22–23 Nov 2025 (several days)" in text
    assert "Dates inferred: the source says only “the weekend”." in text
    assert "Where Geneva" in text
    assert "White House initiator" in text
    assert "Donald Trump speaker" in text


def test_entry_page_shows_claims_with_assessment_reason_and_evidence(client, story):
    html = client.get("/entries/trump-within-reach/").content.decode()
    text = text_of(html)
    assert "“a peace deal is within reach”" not in text  # quotation marks come from CSS
    assert "a peace deal is within reach" in text
    assert "Trump says a settlement is close." in text
    assert "Contradicted assessed 25 Nov 2025" in text
    assert "Missiles and drones hit Kyiv the next morning." in text
    assert "Contradicts Missiles and drones hit Kyiv before dawn" in text
    assert "Strikes followed within a day." in text
    assert 'href="/entries/kyiv-strike/"' in html
    assert "Unverified not yet checked against the record" in text


def test_claims_by_a_party_to_the_conflict_are_marked(client, story):
    text = page_text(client, "/entries/trump-within-reach/")
    putin = text[text.index("Vladimir Putin") :]
    assert putin.startswith("Vladimir Putin Party to the conflict: Russia")
    trump = text[text.index("Donald Trump") :]
    assert not trump.startswith("Donald Trump Party to the conflict")


def test_entry_page_shows_figure_revisions_with_time_and_source(client, story):
    text = page_text(client, "/entries/kyiv-strike/")
    assert "at least 7 injured →, then more than 7 injured" in text
    assert "more than 7 injured as of Tue 25 Nov, 14:00" in text
    assert "at least 7 injured as of Tue 25 Nov, 06:00" in text
    assert "Kyiv City Military Administration, via City hall: Briefing to reporters" in text
    assert "superseded" in text
    assert "Killed · Kyiv at least 4 killed" in text


def test_entry_page_lists_sources_with_links_and_without_when_there_is_no_url(client, story):
    html = client.get("/entries/kyiv-strike/").content.decode()
    assert re.search(
        r'<a href="https://news\.example\.org/report-\d+" rel="external noopener">'
        r"Wire Service: Russia attacks Kyiv after peace deal hope</a>",
        html,
    )
    assert "<cite>City hall: Briefing to reporters</cite>" in html
    assert 'href=""' not in html


def test_entry_page_shows_linked_entries_in_both_directions(client, story):
    text = page_text(client, "/entries/kyiv-strike/")
    assert "This entry follows Geneva talks on the US peace plan" in text
    assert "Ukrainian drones hit Taganrog retaliation for this entry" in text


def test_contrast_panel_shows_the_other_track_within_72_hours(client, story):
    text = page_text(client, "/entries/geneva-talks/")
    assert "Meanwhile, on the military track" in text
    after = text[text.index("Within 72 hours after “Geneva talks on the US peace plan”") :]
    assert (
        after.split("”", 1)[1]
        .strip()
        .startswith("3 strikes, at least 4 killed, at least 13 injured")
    )
    assert "Missiles and drones hit Kyiv before dawn" in after
    assert "Kyiv: at least 4 killed, more than 7 injured" in after
    before = text[text.index("Within 72 hours before") : text.index("Within 72 hours after")]
    assert "0 strikes" in before


def test_contrast_panel_of_a_strike_shows_the_diplomacy_before_it(client, story):
    text = page_text(client, "/entries/kyiv-strike/")
    assert "Meanwhile, on the diplomacy track" in text
    before = text[text.index("Within 72 hours before") : text.index("Within 72 hours after")]
    assert "2 diplomatic events" in before
    assert "Geneva talks on the US peace plan" in before
    assert "Trump says a peace deal is within reach" in before


def test_contrast_panel_leaves_out_entries_further_than_72_hours_away(client, story):
    factories.DiplomacyEntryFactory(title="Talks long before", occurred_at=at(10))
    text = page_text(client, "/entries/kyiv-strike/")
    assert "Talks long before" not in text[text.index("Meanwhile") :]


def test_entry_page_has_open_graph_tags(client, story):
    html = client.get("/entries/kyiv-strike/").content.decode()
    assert '<meta property="og:title" content="Missiles and drones hit Kyiv before dawn">' in html
    assert '<meta property="og:type" content="article">' in html
    assert 'property="og:url" content="http://testserver/entries/kyiv-strike/"' in html
    assert '<meta property="og:description" content="Russia launched missiles' in html


def json_ld_blocks(html):
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def test_entry_page_has_a_claim_review_for_each_assessed_claim(client, story):
    html = client.get("/entries/trump-within-reach/").content.decode()
    [review] = json_ld_blocks(html)  # Putin's claim is unverified: no review
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == "a peace deal is within reach"
    assert review["reviewRating"]["alternateName"] == "Contradicted"
    assert review["itemReviewed"]["author"]["name"] == "Donald Trump"
    assert review["datePublished"] == "2025-11-25"
    claim_id = story["claims"]["within_reach"].pk
    assert review["url"] == f"http://testserver/entries/trump-within-reach/#claim-{claim_id}"


def test_entry_page_without_assessed_claims_has_no_claim_review(client, story):
    html = client.get("/entries/geneva-talks/").content.decode()
    assert json_ld_blocks(html) == []


def test_unknown_entry_is_a_friendly_404(client, db):
    response = client.get("/entries/no-such-entry/")
    assert response.status_code == 404
    assert "We could not find that page" in text_of(response.content.decode())


# --- Claim tracker ----------------------------------------------------------------------------


def test_claim_tracker_lists_every_published_claim_with_claimant_and_entry(client, story):
    text = page_text(client, "/claims/")
    assert "4 claims." in text
    assert (
        "Donald Trump a peace deal is within reach Contradicted assessed 25 Nov 2025 "
        "On Trump says a peace deal is within reach"
    ) in text
    assert "Vladimir Putin Party to the conflict: Russia basis for a lasting settlement" in text


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("claimant=donald-trump", ["within reach"], ["cynical terror", "very constructive"]),
        ("assessment=corroborated", ["cynical terror"], ["within reach"]),
        ("track=diplomacy", ["within reach", "very constructive"], ["cynical terror"]),
        ("track=military", ["cynical terror"], ["very constructive"]),
        ("from=2025-11-24&to=2025-11-24", ["within reach", "lasting"], ["cynical terror"]),
        ("to=2025-11-23", ["very constructive"], ["within reach"]),
    ],
)
def test_claim_tracker_filters(client, story, query, shown, hidden):
    text = page_text(client, f"/claims/?{query}")
    listing = text.split("match these filters")[-1]
    for quote in shown:
        assert quote in listing, query
    for quote in hidden:
        assert quote not in listing, query


def test_claim_tracker_invalid_filters_get_a_friendly_message(client, story):
    response = client.get("/claims/?claimant=ghost&from=yesterday&page=zzz")
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "We have no claimant called “ghost”" in text
    assert "Enter a date as YYYY-MM-DD" in text


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=1&to=x"])
def test_claim_tracker_survives_dates_at_the_edge_of_the_calendar(client, db, query):
    response = client.get(f"/claims/?{query}")
    assert response.status_code == 200
    assert "Some filters could not be used" in text_of(response.content.decode())


def test_claim_tracker_pages(client, db):
    entry = factories.EntryFactory()
    claimant = factories.ActorFactory()
    source = factories.SourceFactory()
    claims = Claim.objects.bulk_create(
        Claim(
            entry=entry, claimant=claimant, quote=f"quote {n:03d}", paraphrase="p", kind="factual"
        )
        for n in range(60)
    )
    Claim.sources.through.objects.bulk_create(
        Claim.sources.through(claim_id=claim.pk, source_id=source.pk) for claim in claims
    )
    first = page_text(client, "/claims/")
    assert "60 claims. Page 1 of 2." in first
    assert len(re.findall(r"quote \d{3}", first)) == 50
    second = page_text(client, "/claims/?page=2")
    assert len(re.findall(r"quote \d{3}", second)) == 10


# --- Actors and places --------------------------------------------------------------------------


def test_actor_page_shows_entries_claims_and_claim_record(client, story):
    text = page_text(client, "/actors/donald-trump/")
    assert "Donald Trump" in text
    assert "Person or official" in text
    assert "1 claim on the timeline" in text
    assert "Unverified 0 Corroborated 0 Disputed 0 Contradicted 1 False 0 Retracted 0" in text
    entries = text[text.index("Entries 2") :]
    assert "Geneva talks on the US peace plan" in entries
    assert "Trump says a peace deal is within reach" in entries
    assert "a peace deal is within reach Contradicted" in text


def test_a_busy_speakers_record_count_and_newest_claims_hold_through_regrading(
    client, db, monkeypatch, uncached_pages
):
    """A leader with pages of claims: the record and the counts come from the roll-up and
    the newest claims from a window of the timeline; drafts' claims count nowhere."""
    monkeypatch.setattr("timeline.views.CLAIMS_SORTED_LIMIT", 3)
    speaker = factories.ActorFactory(name="Busy Speaker", slug="busy-speaker")
    claims = []
    for day in range(1, 9):
        entry = factories.EntryFactory(
            title=f"Entry of day {day}", occurred_at=timezone.make_aware(dt.datetime(2025, 11, day))
        )
        claims.append(factories.ClaimFactory(entry=entry, claimant=speaker, quote=f"said {day}"))
    draft = factories.EntryFactory(status=Entry.Status.DRAFT, title="A draft")
    factories.ClaimFactory(entry=draft, claimant=speaker, quote="draft words")
    monkeypatch.setattr("timeline.views.RELATED_LIMIT", 5)

    text = page_text(client, "/actors/busy-speaker/")
    assert "8 claims on the timeline" in text
    assert "Unverified 8 Corroborated 0" in text
    shown = re.findall(r"said (\d)", text)
    assert shown == ["8", "7", "6", "5", "4"]
    assert "draft words" not in text
    tracker = page_text(client, "/claims/?claimant=busy-speaker")
    assert "8 claims match these filters" in tracker
    assert re.findall(r"said (\d)", tracker) == ["8", "7", "6", "5", "4", "3", "2", "1"]

    first = claims[0]
    first.assessment, first.assessed_on, first.assessment_reason = (
        Assessment.FALSE,
        dt.date(2025, 11, 20),
        "Shown false by the footage.",
    )
    first.save()
    text = page_text(client, "/actors/busy-speaker/")
    assert "Unverified 7 Corroborated 0 Disputed 0 Contradicted 0 False 1" in text
    graded = page_text(client, "/claims/?claimant=busy-speaker&assessment=false")
    assert "1 claim matches these filters" in graded
    assert re.findall(r"said (\d)", graded) == ["1"]
    # Beyond the counting cap the tracker says so, and pages no deeper, as for any filter.
    monkeypatch.setattr("timeline.views.COUNT_CAP", 5)
    capped = page_text(client, "/claims/?claimant=busy-speaker")
    assert "more than 5 claims match these filters" in capped


def test_actor_page_of_a_party_says_so(client, story):
    text = page_text(client, "/actors/vladimir-putin/")
    assert "Party to the conflict: Russia" in text


def test_place_page_includes_entries_in_child_places(client, story):
    text = page_text(client, "/places/kyiv/")
    assert "Kyiv" in text
    assert "Includes Dniprovskyi, Pechersk" in text
    assert "Entries here 1" in text
    assert "Missiles and drones hit Kyiv before dawn" in text
    country = page_text(client, "/places/ukraine/")
    assert "Entries here 2" in country
    assert "Missiles hit port facilities in Odesa region" in country


def test_place_page_shows_where_it_lies(client, story):
    text = page_text(client, "/places/pechersk/")
    assert text.count("Ukraine") >= 1
    html = client.get("/places/pechersk/").content.decode()
    assert '<a href="/places/ukraine/">Ukraine</a></li><li><a href="/places/kyiv/">Kyiv</a>' in html


def test_unknown_actor_and_place_are_404(client, db):
    assert client.get("/actors/nobody/").status_code == 404
    assert client.get("/places/nowhere/").status_code == 404


# --- Craft --------------------------------------------------------------------------------


def test_pages_have_landmarks_a_skip_link_and_one_stylesheet(client, story):
    for url in ("/", "/entries/kyiv-strike/", "/claims/", "/actors/kcma/", "/places/kyiv/"):
        html = client.get(url).content.decode()
        assert '<a class="skip-link" href="#main">Skip to content</a>' in html
        for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in html, (url, landmark)
        assert html.count('rel="stylesheet"') == 1
        assert 'href="/static/timeline/parallax.css"' in html
        assert html.count("<h1") == 1
        # Only the pickers' own script, from our static files, on pages with a filter form.
        scripts = re.findall(r"<script(?! type=\"application/ld\+json\")[^>]*>", html)
        if url in ("/", "/claims/"):
            assert scripts == ['<script src="/static/timeline/combobox.js" defer>']
        else:
            assert scripts == []


def test_headings_do_not_skip_levels(client, story):
    for url in ("/", "/entries/kyiv-strike/", "/claims/", "/actors/kcma/", "/places/kyiv/"):
        html = client.get(url).content.decode()
        levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", html)]
        assert levels[0] == 1, url
        for previous, current in zip(levels, levels[1:], strict=False):
            assert current <= previous + 1, (url, levels)


def test_stylesheet_is_served_and_has_a_print_style(client, db):
    response = client.get("/static/timeline/parallax.css")
    assert response.status_code == 200
    css = b"".join(response.streaming_content).decode()
    assert "@media print" in css
    assert ":focus-visible" in css


# --- A fixed number of queries whatever the amount of data ------------------------------------

# Measured, and the same at 10 and 500 entries: the page, the count, the prefetches and the
# filter form's choices. A new N+1 shows up here as a failure.
# The pulse chart adds three queries to /, actor and place pages (newest day, counts, labelled
# diplomacy markers) and one more on / (whether the roll-up has stale days). The place,
# actor and assessment filters each read their candidate entries first
# (EntryQuerySet._small_side); the contrast panel reads counts by kind and the figures
# behind its totals apart from the few entries it shows (timeline/contrast.py). The killed
# and injured chart adds five to place pages (the places inside the place, the figures, and
# the ids of the place's entries on the chart's days from the roll-up: stale days, their
# number, the ids).
MAX_QUERIES = {
    "/": 13,
    "/?place=kyiv": 15,
    "/?actor=actor-1&track=military": 14,
    "/?assessment=disputed": 14,
    "/?track=military&place=kyiv&actor=actor-1&q=strike&assessment=disputed&from=2025-01-01": 16,
    "entry": 17,
    "/claims/": 3,
    "/claims/?claimant=actor-1&assessment=disputed&track=military": 4,
    "actor": 18,
    "place": 21,
    "/places/district-1/": 21,
    "/feed/": 4,
    "/sitemap.xml": 6,
}


@pytest.mark.parametrize("size", [10, 500])
@pytest.mark.parametrize("page", list(MAX_QUERIES))
def test_each_page_runs_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries, size, page
):
    middle = build_timeline(size)
    url = {
        "entry": f"/entries/{middle.slug}/",
        "actor": "/actors/actor-1/",
        "place": "/places/kyiv/",
    }.get(page, page)
    with django_assert_max_num_queries(MAX_QUERIES[page]):
        response = client.get(url)
    assert response.status_code == 200
    assert b"Entry " in response.content or page == "/sitemap.xml"


def test_query_counts_are_the_same_at_10_and_500_entries(client, db):
    """Not only under a ceiling: exactly equal at both sizes."""
    counts = {}
    for size in (10, 500):
        Entry.objects.all().delete()
        Place.objects.filter(parent__isnull=False, kind=Place.Kind.DISTRICT).delete()
        Place.objects.filter(parent__isnull=False).delete()
        Place.objects.all().delete()
        Actor.objects.all().delete()
        Source.objects.all().delete()
        middle = build_timeline(size)
        for page in MAX_QUERIES:
            url = {
                "entry": f"/entries/{middle.slug}/",
                "actor": "/actors/actor-1/",
                "place": "/places/kyiv/",
            }.get(page, page)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.setdefault(page, []).append(len(queries))
    print(counts)
    for page, (small, large) in counts.items():
        assert small == large, (page, small, large)


# --- The seed story ------------------------------------------------------------------------


@pytest.fixture
def seed(db):
    from django.core.management import call_command

    call_command("loaddata", "geneva-talks-kyiv-strikes", verbosity=0)


def test_seed_story_shows_the_geneva_talks_and_the_kyiv_strikes_on_the_home_page(client, seed):
    html = client.get("/").content.decode()
    text = text_of(html)
    assert "Geneva talks on the US peace plan" in text
    assert "Russian missiles and drones hit Kyiv before dawn" in text
    assert "weekend of 22–23 Nov 2025" in text
    assert "overnight, Tue 25 Nov 2025" in text
    assert f"{Entry.objects.published().count()} published entries" in text


def test_every_seed_entry_traces_its_claims_and_figures_to_a_source(client, seed):
    for entry in Entry.objects.published().prefetch_related("claims__sources", "figures"):
        html = client.get(entry.get_absolute_url()).content.decode()
        text = text_of(html)
        assert entry.title in text
        for claim in entry.claims.all():
            article = html[html.index(f'id="claim-{claim.pk}"') :]
            article = article[: article.index("</article>")]
            assert "Reported by" in text_of(article), claim
            for source in claim.sources.all():
                assert source.title in text_of(article)
        for figure in entry.figures.all():
            # A figure with no reporter is the source's own reporting: it traces to the source.
            if figure.reported_by is not None:
                assert f"{figure.reported_by.name}, via" in text
            assert figure.source.title in text


def test_seed_contrast_panel_counts_the_strikes_after_the_geneva_talks(client, seed):
    talks = Entry.objects.published().get(kind="talks")
    text = page_text(client, talks.get_absolute_url())
    after = text[text.index("Within 72 hours after") :]
    assert re.search(r"\d+ strikes?, (\d+ interception reports?, )?at least \d+ killed", after)


# --- Whatever a reader types into the address bar, never a 500 ------------------------------

TIMELINE_PARAMS = ["q", "track", "actor", "place", "from", "to", "assessment", "cursor"]
CLAIM_PARAMS = ["claimant", "assessment", "track", "from", "to", "page"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    timeline=st.dictionaries(st.sampled_from(TIMELINE_PARAMS), st.text(max_size=30)),
    claims=st.dictionaries(st.sampled_from(CLAIM_PARAMS), st.text(max_size=30)),
)
def test_no_query_string_makes_a_page_fail(client, story, timeline, claims):
    for path, params in (("/", timeline), ("/claims/", claims)):
        response = client.get(path, params)
        assert response.status_code == 200, (path, params)


@pytest.mark.parametrize("parameter", ["actor", "place", "q"])
def test_a_null_character_in_a_filter_is_a_message_not_a_server_error(client, db, parameter):
    response = client.get("/", {parameter: "Kyiv\x00"})
    assert response.status_code in (200, 400)
    assert client.get("/suggest/place/", {"q": "\x00Ky"}).status_code == 200
    assert client.get("/claims/", {"claimant": "\x00"}).status_code in (200, 400)


@pytest.mark.parametrize(
    ("path", "labels"),
    [("/", ["Search", "Track", "Actor", "Place", "From", "To"]), ("/claims/", ["Claimant"])],
)
def test_every_filter_field_has_a_readable_label(client, db, path, labels):
    html = client.get(path).content.decode()
    assert "[invalid name]" not in html
    for label in labels:
        assert f">{label}</label>" in html
