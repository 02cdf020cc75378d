import pytest
from django.urls import reverse

from timeline.models import Actor, Claim, Entry, Figure, Place, Source

from .admin_forms import read_admin_form
from .factories import (
    ActorFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EntryActorFactory,
    EntryFactory,
    EntryLinkFactory,
    FigureFactory,
    PlaceFactory,
)

pytestmark = pytest.mark.django_db

ADMIN_MODELS = [Entry, Claim, Figure, Actor, Place, Source]


@pytest.fixture
def story(db):
    """One entry with everything an entry can carry, so every admin page has rows to show."""
    kyiv = PlaceFactory(
        name="Kyiv", latitude=50.4501, longitude=30.5234, coordinate_precision="city"
    )
    entry = EntryFactory(title="Strikes on Kyiv", status="draft", places=[kyiv])
    EntryActorFactory(entry=entry)
    claim = ClaimFactory(entry=entry)
    ClaimEvidenceFactory(claim=claim)
    FigureFactory(entry=entry, scope=kyiv)
    EntryLinkFactory(from_entry=entry)
    return entry


def admin_url(model, view, *args):
    return reverse(f"admin:timeline_{model._meta.model_name}_{view}", args=args)


def form_id(model):
    return f"{model._meta.model_name}_form"


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_editor_opens_every_changelist_and_sees_the_rows(editor_client, story, model):
    response = editor_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() > 0


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_editor_opens_every_add_page(editor_client, model):
    response = editor_client.get(admin_url(model, "add"))
    assert response.status_code == 200
    assert f'id="{form_id(model)}"' in response.content.decode()


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_editor_saves_every_change_page_as_shown(editor_client, editor, story, model):
    obj = model.objects.order_by("pk").first()
    url = admin_url(model, "change", obj.pk)
    page = editor_client.get(url)
    assert page.status_code == 200
    data = read_admin_form(page.content.decode(), form_id(model))
    data["change_reason"] = "Checked against the source"

    response = editor_client.post(url, data)

    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    latest = obj.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == "Checked against the source"


def test_editor_adds_a_source_actor_and_place_from_their_add_pages(editor_client):
    editor_client.post(
        admin_url(Source, "add"),
        {"title": "Ministry statement", "source_type": "official_statement", "publisher": "MoE"},
    )
    editor_client.post(
        admin_url(Actor, "add"),
        {
            "name": "Energy ministry",
            "slug": "energy-ministry",
            "kind": "government_body",
            "side": "ukraine",
        },
    )
    editor_client.post(
        admin_url(Place, "add"),
        {"name": "Odesa region", "slug": "odesa-region", "kind": "region"},
    )
    assert Source.objects.filter(title="Ministry statement").exists()
    assert Actor.objects.filter(slug="energy-ministry", side_id="ukraine").exists()
    assert Place.objects.filter(slug="odesa-region").exists()


def test_changelist_shows_counts_of_claims_and_figures(editor_client, story):
    ClaimFactory(entry=story)
    response = editor_client.get(admin_url(Entry, "changelist"))
    row = response.context["cl"].result_list.get(pk=story.pk)
    assert (row.claim_total, row.figure_total) == (2, 1)


@pytest.mark.parametrize(
    "query",
    [
        "track=military",
        "status__exact=draft",
        "kind__exact=combined_strike",
        "claims__assessment__exact=unverified",
        "q=Kyiv",
        "occurred_at__year=2025",
    ],
)
def test_changelist_filters_and_search_find_the_entry(editor_client, story, query):
    response = editor_client.get(admin_url(Entry, "changelist") + "?" + query)
    assert story in response.context["cl"].result_list


def test_changelist_filters_by_actor_and_place(editor_client, story):
    actor = story.actors.first()
    place = story.places.first()
    for query in (f"actors__id__exact={actor.pk}", f"places__id__exact={place.pk}"):
        response = editor_client.get(admin_url(Entry, "changelist") + "?" + query)
        assert list(response.context["cl"].result_list) == [story]


def test_editor_cannot_publish_from_the_change_form(editor_client, story):
    url = admin_url(Entry, "change", story.pk)
    data = read_admin_form(editor_client.get(url).content.decode(), "entry_form")
    data["status"] = "published"

    response = editor_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Only publishers can publish or unpublish an entry." in errors["status"][0]
    story.refresh_from_db()
    assert story.status == "draft"


def test_editor_does_not_see_the_publish_actions(editor_client, story):
    response = editor_client.get(admin_url(Entry, "changelist"))
    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "send_to_review" in actions
    assert "publish" not in actions
    assert "unpublish" not in actions


def test_editor_cannot_run_the_publish_action_by_posting_it(editor_client, story):
    editor_client.post(
        admin_url(Entry, "changelist"), {"action": "publish", "_selected_action": [story.pk]}
    )
    story.refresh_from_db()
    assert story.status == "draft"


def test_publish_action_first_shows_what_will_go_live(publisher_client, story):
    response = publisher_client.post(
        admin_url(Entry, "changelist"), {"action": "publish", "_selected_action": [story.pk]}
    )
    story.refresh_from_db()
    assert story.status == "draft"
    html = response.content.decode()
    assert "These entries will go live" in html
    assert "Strikes on Kyiv" in html
    assert f'href="{story.get_absolute_url()}"' in html


def test_publisher_publishes_and_unpublishes_with_the_actions(publisher_client, publisher, story):
    changelist = admin_url(Entry, "changelist")
    response = publisher_client.post(
        changelist,
        {"action": "publish", "_selected_action": [story.pk], "confirmed": "yes"},
        follow=True,
    )
    story.refresh_from_db()
    assert story.status == "published"
    assert story.published_at is not None
    assert "1 entry published." in response.content.decode()
    assert story.history.latest().history_user == publisher

    publisher_client.post(changelist, {"action": "unpublish", "_selected_action": [story.pk]})
    story.refresh_from_db()
    assert story.status == "draft"


def test_publish_action_refuses_an_entry_without_a_source(publisher_client, story):
    story.sources.clear()
    preview = publisher_client.post(
        admin_url(Entry, "changelist"), {"action": "publish", "_selected_action": [story.pk]}
    )
    assert "None: cannot be published" in preview.content.decode()
    response = publisher_client.post(
        admin_url(Entry, "changelist"),
        {"action": "publish", "_selected_action": [story.pk], "confirmed": "yes"},
        follow=True,
    )
    story.refresh_from_db()
    assert story.status == "draft"
    assert "An entry cannot be published without a source." in response.content.decode()


def test_send_to_review_action_works_for_editors(editor_client, editor, story):
    editor_client.post(
        admin_url(Entry, "changelist"), {"action": "send_to_review", "_selected_action": [story.pk]}
    )
    story.refresh_from_db()
    assert story.status == "review"
    assert story.history.latest().history_change_reason == "Sent to review"


def test_publisher_cannot_publish_from_the_form_without_a_source(publisher_client, story):
    url = admin_url(Entry, "change", story.pk)
    data = read_admin_form(publisher_client.get(url).content.decode(), "entry_form")
    data["status"] = "published"
    data["sources"] = []

    response = publisher_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sources"] == [
        "An entry cannot be published without a source. Add at least one source."
    ]


def test_claim_without_a_source_is_a_form_error(editor_client, story):
    claim = story.claims.get()
    url = admin_url(Claim, "change", claim.pk)
    data = read_admin_form(editor_client.get(url).content.decode(), "claim_form")
    data["sources"] = []

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sources"] == [
        "A claim needs at least one source."
    ]
    assert claim.sources.count() == 1


def test_figure_without_a_source_is_a_form_error(editor_client, story):
    figure = story.figures.get()
    url = admin_url(Figure, "add")
    data = read_admin_form(editor_client.get(url).content.decode(), "figure_form")
    data.update(
        entry=story.pk,
        metric="killed",
        scope=figure.scope_id,
        best="3",
        qualifier="exact",
        as_of_0="2025-11-25",
        as_of_1="08:00",
        source="",
    )

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["source"] == [
        "A figure needs a source: pick the document that reported the number."
    ]


def test_recorded_figures_cannot_be_overwritten_from_the_entry_page(editor_client, story):
    figure = story.figures.get()
    url = admin_url(Entry, "change", story.pk)
    data = read_admin_form(editor_client.get(url).content.decode(), "entry_form")
    data["figures-0-best"] = "40"

    response = editor_client.post(url, data)

    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.best == 4


def test_deleting_an_entry_with_claims_asks_first_and_keeps_history(publisher_client, story):
    url = admin_url(Entry, "delete", story.pk)
    confirmation = publisher_client.get(url)
    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    assert "Are you sure" in page
    assert "Claim:" in page
    assert Entry.objects.filter(pk=story.pk).exists()

    publisher_client.post(url, {"post": "yes"})

    assert not Entry.objects.filter(pk=story.pk).exists()
    assert Entry.history.filter(id=story.pk, history_type="-").exists()
    assert Claim.history.filter(entry_id=story.pk, history_type="-").exists()


def test_editor_cannot_delete_a_whole_entry(editor_client, story):
    response = editor_client.post(admin_url(Entry, "delete", story.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Entry.objects.filter(pk=story.pk).exists()


def test_history_page_shows_who_changed_the_entry_and_why(editor_client, story):
    url = admin_url(Entry, "change", story.pk)
    data = read_admin_form(editor_client.get(url).content.decode(), "entry_form")
    data["summary"] = "Revised summary."
    data["change_reason"] = "Mayor gave new details"
    editor_client.post(url, data)

    history = editor_client.get(admin_url(Entry, "history", story.pk)).content.decode()
    assert "Mayor gave new details" in history
    assert "editor" in history


def test_change_reason_defaults_to_the_changed_fields(editor_client, story):
    url = admin_url(Entry, "change", story.pk)
    data = read_admin_form(editor_client.get(url).content.decode(), "entry_form")
    data["summary"] = "Revised summary."
    editor_client.post(url, data)
    assert story.history.latest().history_change_reason == "Changed summary in the admin"


def test_view_on_site_links_to_the_public_page(editor_client, story):
    page = editor_client.get(admin_url(Entry, "change", story.pk)).content.decode()
    assert "View on site" in page


def test_editor_records_a_whole_strike_and_a_publisher_publishes_it(client, editor, publisher):
    """The walk-through: one strike, two claims, three figures and a source, all in the admin."""
    kyiv = PlaceFactory(name="Kyiv")
    mayor = ActorFactory(name="Mayor of Kyiv")
    russia = ActorFactory(name="Russia", side_id="russia")
    client.force_login(editor)
    client.post(
        admin_url(Source, "add"),
        {"title": "Mayor's morning update", "source_type": "official_statement"},
    )
    source = Source.objects.get(title="Mayor's morning update")

    data = read_admin_form(client.get(admin_url(Entry, "add")).content.decode(), "entry_form")
    data.update(
        {
            "title": "Night strike on Kyiv",
            "slug": "night-strike-on-kyiv",
            "track": "military",
            "kind": "combined_strike",
            "summary": "Missiles and drones hit Kyiv before dawn.",
            "occurred_at_0": "2025-11-25",
            "occurred_at_1": "03:00:00",
            "precision": "part_of_day",
            "places": [str(kyiv.pk)],
            "sources": [str(source.pk)],
            "status": "draft",
            "change_reason": "First report",
            "entry_actors-TOTAL_FORMS": "1",
            "entry_actors-0-actor": str(russia.pk),
            "entry_actors-0-role": "initiator",
            "claims-TOTAL_FORMS": "2",
            "figures-TOTAL_FORMS": "3",
        }
    )
    for index, (quote, assessment) in enumerate(
        [("deliberately targeted civilian housing", "unverified"), ("cynical terror", "unverified")]
    ):
        data.update(
            {
                f"claims-{index}-claimant": str(mayor.pk),
                f"claims-{index}-kind": "characterisation",
                f"claims-{index}-quote": quote,
                f"claims-{index}-paraphrase": f"The mayor says: {quote}.",
                f"claims-{index}-sources": [str(source.pk)],
                f"claims-{index}-assessment": assessment,
                f"claims-{index}-position": str(index),
            }
        )
    figures = [
        ("killed", "at_least", "4", "06:00:00"),
        ("injured", "at_least", "7", "06:00:00"),
        ("injured", "more_than", "7", "11:00:00"),
    ]
    for index, (metric, qualifier, best, time) in enumerate(figures):
        data.update(
            {
                f"figures-{index}-metric": metric,
                f"figures-{index}-scope": str(kyiv.pk),
                f"figures-{index}-qualifier": qualifier,
                f"figures-{index}-best": best,
                f"figures-{index}-as_of_0": "2025-11-25",
                f"figures-{index}-as_of_1": time,
                f"figures-{index}-reported_by": str(mayor.pk),
                f"figures-{index}-source": str(source.pk),
            }
        )

    response = client.post(admin_url(Entry, "add"), data)

    assert response.status_code == 302, response.context["errors"]
    entry = Entry.objects.get(slug="night-strike-on-kyiv")
    assert entry.status == "draft"
    assert entry.claims.count() == 2
    assert sorted(f.display for f in entry.figures.all()) == [
        "at least 4 killed",
        "at least 7 injured",
        "more than 7 injured",
    ]
    assert [f.display for f in entry.current_figures() if f.metric == "injured"] == [
        "more than 7 injured"
    ]
    assert entry.actors.get() == russia

    client.force_login(publisher)
    url = admin_url(Entry, "change", entry.pk)
    data = read_admin_form(client.get(url).content.decode(), "entry_form")
    data["status"] = "published"
    data["change_reason"] = "Checked against the mayor's statement"
    assert client.post(url, data).status_code == 302

    entry.refresh_from_db()
    assert entry.status == "published"
    assert entry.published_at is not None
    history = [
        (h.history_user.username, h.history_change_reason, h.status)
        for h in entry.history.order_by("history_date")
    ]
    assert history[0] == ("editor", "First report", "draft")
    assert history[-1] == ("publisher", "Checked against the mayor's statement", "published")
    claim_history = Claim.history.filter(entry_id=entry.pk, history_type="+")
    assert {h.history_user.username for h in claim_history} == {"editor"}
    assert {h.history_change_reason for h in claim_history} == {"First report"}

    page = client.get(admin_url(Entry, "history", entry.pk)).content.decode()
    assert "Checked against the mayor&#x27;s statement" in page or "Checked against" in page
