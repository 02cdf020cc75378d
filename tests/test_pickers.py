"""Actor, place and claimant pickers: a typed name resolved on the server, with suggestions."""

import pytest
from django.utils.html import escape

from timeline.models import EntryActor, PlaceAlias

from . import factories


@pytest.fixture
def places(db):
    ukraine = factories.PlaceFactory(name="Ukraine", slug="ukraine", kind="country")
    kyiv = factories.PlaceFactory(name="Kyiv", slug="kyiv", parent=ukraine)
    PlaceAlias.objects.create(place=kyiv, name="Kiev")
    entry = factories.EntryFactory(title="Strike on Kyiv", slug="kyiv-strike", places=[kyiv])
    factories.EntryFactory(title="Strike elsewhere", slug="elsewhere")
    return entry


def titles(client, url):
    html = client.get(url).content.decode()
    return {title for title in ("Strike on Kyiv", "Strike elsewhere") if title in html}, html


@pytest.mark.parametrize("typed", ["kyiv", "Kyiv", "KYIV", "Kiev", "kiev", " ukraine "])
def test_place_filter_takes_a_slug_a_name_or_an_alias(client, places, typed):
    shown, html = titles(client, f"/?place={typed}")
    assert shown == {"Strike on Kyiv"}
    assert "Some filters could not be used" not in html


def test_actor_filter_takes_a_name_or_an_alias(client, places):
    actor = factories.ActorFactory(name="Air Force of Ukraine", aliases="PvS\nUkrainian Air Force")
    EntryActor.objects.create(entry=places, actor=actor, role=EntryActor.Role.SPEAKER)
    for typed in ("air force of ukraine", "Ukrainian  air force", actor.slug):
        assert titles(client, f"/?actor={typed}")[0] == {"Strike on Kyiv"}


def test_an_ambiguous_name_lists_the_choices_as_links(client, places):
    other = factories.PlaceFactory(name="Kyiv", slug="kyiv-village")
    factories.EntryFactory(title="Shelling of the village", places=[other])
    html = client.get("/?place=Kyiv&track=military").content.decode()
    assert escape("Several places go by “Kyiv”. Pick one:") in html
    assert 'href="?place=kyiv&amp;track=military"' in html
    assert 'href="?place=kyiv-village&amp;track=military"' in html


def test_a_place_without_published_entries_is_not_offered(client, places):
    hidden = factories.PlaceFactory(name="Hiddenville", slug="hiddenville")
    factories.EntryFactory(status="draft", places=[hidden])
    html = client.get("/?place=hiddenville").content.decode()
    assert escape("We have no place called “hiddenville”") in html
    assert client.get("/suggest/place/?q=hidden").json() == {"results": []}


def test_suggestions_rank_exact_then_prefix_then_contains(client, places):
    for name in ("Kyivska Street", "Old Kyiv"):
        factories.EntryFactory(places=[factories.PlaceFactory(name=name)])
    results = client.get("/suggest/place/?q=kyiv").json()["results"]
    assert [r["name"] for r in results] == ["Kyiv", "Kyivska Street", "Old Kyiv"]
    assert results[0] == {"name": "Kyiv", "slug": "kyiv", "detail": "Ukraine"}
    assert [r["slug"] for r in client.get("/suggest/place/?q=kie").json()["results"]] == ["kyiv"]


def test_claimant_suggestions_offer_only_claimants_of_published_entries(client, places):
    speaker = factories.ActorFactory(name="Volodymyr Spokesman")
    factories.ClaimFactory(entry=places, claimant=speaker)
    secret = factories.ActorFactory(name="Volodymyr Secret")
    factories.ClaimFactory(entry=factories.EntryFactory(status="draft"), claimant=secret)
    names = [r["name"] for r in client.get("/suggest/claimant/?q=volodymyr").json()["results"]]
    assert names == ["Volodymyr Spokesman"]
    html = client.get("/claims/?claimant=volodymyr+spokesman").content.decode()
    assert "Some filters could not be used" not in html


def test_unknown_picker_is_404(client, db):
    assert client.get("/suggest/source/?q=a").status_code == 404


@pytest.mark.parametrize("size", [2, 40])
def test_suggestions_run_one_query_at_any_size(client, db, django_assert_max_num_queries, size):
    for n in range(size):
        factories.EntryFactory(places=[factories.PlaceFactory(name=f"Town {n}")])
    with django_assert_max_num_queries(1):
        results = client.get("/suggest/place/?q=town").json()["results"]
    assert len(results) == min(size, 20)


def test_filter_fields_are_text_inputs_the_script_enhances(client, places):
    html = client.get("/").content.decode()
    assert 'data-suggest="/suggest/place/"' in html
    assert 'data-suggest="/suggest/actor/"' in html
    assert "<option" not in html.split('name="place"')[1].split("</div>")[0]
    script = client.get("/static/timeline/combobox.js")
    body = b"".join(script.streaming_content)
    script.close()
    assert b'setAttribute("role", "combobox")' in body


def test_a_name_with_a_percent_sign_is_a_message_on_the_page_and_a_404_in_the_api(client, db):
    page = client.get("/", {"actor": "100% nobody"})
    assert "We have no actor called “100% nobody”" in page.content.decode()
    api = client.get("/api/v1/entries/", {"actor": "100% nobody"})
    assert api.status_code == 404
    assert "100% nobody" in api.json()["actor"][0]
