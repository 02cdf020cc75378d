import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from timeline.models import FIGURE_SOURCE_REQUIRED, Claim, Entry, EntryActor, Figure, Place, Source

from . import factories
from .api_helpers import rich_entry, snapshot, token_client, walk

pytestmark = pytest.mark.django_db

RESOURCES = ("entries", "claims", "figures", "actors", "places", "sources")
SECRETS = ("Secret draft strike", "secret-draft-strike", "draft quote", "Secret review strike")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def editor_api(editor):
    return token_client(editor)


@pytest.fixture
def publisher_api(publisher):
    return token_client(publisher)


def assert_no_secrets(response):
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text


def entry_body(**overrides):
    source = factories.SourceFactory()
    body = {
        "title": "Missiles hit Odesa port",
        "summary": "Missiles struck the port overnight.",
        "track": "military",
        "kind": "missile_strike",
        "occurred_at": "2025-11-25T03:00:00+02:00",
        "precision": "part_of_day",
        "sources": [source.pk],
    }
    return body | overrides


# --- Reading -------------------------------------------------------------------------------


def test_api_root_lists_every_resource_by_name(api):
    response = api.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    for name in RESOURCES:
        assert body[name] == f"http://testserver/api/v1/{name}/"
    assert body["export-csv"].endswith("/api/v1/export/entries.csv")


def test_an_entry_in_the_list_carries_everything_a_client_needs_to_show_it(api):
    entry = rich_entry(
        title="Strike on Kyiv",
        slug="strike-on-kyiv",
        occurred_at=timezone.make_aware(dt.datetime(2025, 11, 25, 4)),
    )
    response = api.get("/api/v1/entries/")
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["slug"] == "strike-on-kyiv"
    assert item["url"] == "http://testserver" + entry.get_absolute_url()
    assert item["api_url"] == "http://testserver/api/v1/entries/strike-on-kyiv/"
    assert (item["track"], item["kind"], item["precision"]) == (
        "military",
        "combined_strike",
        "part_of_day",
    )
    assert item["occurred_at"] == "2025-11-25T04:00:00+02:00"  # Kyiv time
    assert item["places"][0]["slug"] == "kyiv"
    assert item["places"][0]["latitude"] == 50.4501
    assert {(a["actor"]["name"], a["role"]) for a in item["actors"]} == {
        ("Russian armed forces", "initiator"),
        ("Kyiv mayor", "speaker"),
    }
    [claim] = item["claims"]
    assert claim["quote"] == "several districts were hit"
    assert claim["assessment"] == "corroborated"
    [figure] = item["current_figures"]  # the revised number only
    assert (figure["best"], figure["display_value"]) == (6, "at least 6")
    assert item["sources"][0]["url"].startswith("https://news.example.org/")


def test_entry_detail_is_found_by_slug_and_shows_every_figure_report(api):
    rich_entry(slug="strike-on-kyiv")
    response = api.get("/api/v1/entries/strike-on-kyiv/")
    assert response.status_code == 200
    body = response.json()
    assert [f["best"] for f in body["figures"]] == [4, 6]
    assert [f["best"] for f in body["current_figures"]] == [6]


def test_every_resource_lists_and_shows_one_item(api):
    entry = rich_entry()
    claim, figure = entry.claims.get(), entry.figures.first()
    place, actor, source = entry.places.get(), claim.claimant, entry.sources.get()
    details = {
        "claims": claim.pk,
        "figures": figure.pk,
        "actors": actor.slug,
        "places": place.slug,
        "sources": source.pk,
        "entries": entry.slug,
    }
    for name, key in details.items():
        listing = api.get(f"/api/v1/{name}/")
        assert listing.status_code == 200, name
        assert listing.json()["results"], name
        detail = api.get(f"/api/v1/{name}/{key}/")
        assert detail.status_code == 200, name


def test_figures_say_which_report_is_current(api):
    entry = rich_entry()
    old, new = entry.figures.order_by("as_of")
    body = {f["id"]: f["is_current"] for f in api.get("/api/v1/figures/").json()["results"]}
    assert body == {old.pk: False, new.pk: True}
    current = api.get("/api/v1/figures/", {"current": "true"}).json()["results"]
    assert [f["id"] for f in current] == [new.pk]


# --- Drafts never leave the API for anonymous callers --------------------------------------


def test_drafts_are_not_in_the_anonymous_entry_list(
    api, draft_entry, review_entry, published_entry
):
    response = api.get("/api/v1/entries/")
    assert [e["slug"] for e in response.json()["results"]] == ["published-strike"]
    assert_no_secrets(response)


@pytest.mark.parametrize("slug", ["secret-draft-strike", "secret-review-strike"])
def test_a_draft_entry_detail_is_404_for_anonymous_callers(api, draft_entry, review_entry, slug):
    response = api.get(f"/api/v1/entries/{slug}/")
    assert response.status_code == 404
    assert_no_secrets(response)


def test_drafts_do_not_leak_through_search_or_filters(api, draft_entry, review_entry):
    for params in (
        {"search": "Secret"},
        {"search": "draft quote"},
        {"status": "draft"},
        {"status": "review"},
        {"track": "military"},
        {"kind": "combined_strike"},
        {"assessment": "unverified"},
        {"updated_since": "2000-01-01T00:00:00Z"},
        {"ordering": "title"},
    ):
        response = api.get("/api/v1/entries/", params)
        assert response.status_code == 200, params
        assert response.json()["results"] == [], params
        assert_no_secrets(response)


def test_claims_and_figures_of_drafts_are_invisible_to_anonymous_callers(api, draft_entry):
    claim, figure = draft_entry.claims.get(), draft_entry.figures.get()
    for listing in ("/api/v1/claims/", "/api/v1/figures/"):
        response = api.get(listing, {"search": "draft"})
        assert response.json()["results"] == []
        assert_no_secrets(api.get(listing))
    assert api.get(f"/api/v1/claims/{claim.pk}/").status_code == 404
    assert api.get(f"/api/v1/figures/{figure.pk}/").status_code == 404
    assert api.get("/api/v1/claims/", {"entry": "secret-draft-strike"}).json()["results"] == []


def test_a_source_cited_only_by_a_draft_is_not_listed_for_anonymous_callers(
    api, draft_entry, published_entry
):
    draft_only = draft_entry.sources.get()
    ids = [s["id"] for s in api.get("/api/v1/sources/").json()["results"]]
    assert draft_only.pk not in ids
    assert published_entry.sources.get().pk in ids
    assert api.get(f"/api/v1/sources/{draft_only.pk}/").status_code == 404


def test_an_editor_sees_drafts_and_filters_them_by_status(editor_api, draft_entry, published_entry):
    slugs = {e["slug"] for e in editor_api.get("/api/v1/entries/").json()["results"]}
    assert slugs == {"secret-draft-strike", "published-strike"}
    drafts = editor_api.get("/api/v1/entries/", {"status": "draft"}).json()["results"]
    assert [e["slug"] for e in drafts] == ["secret-draft-strike"]
    assert editor_api.get("/api/v1/entries/secret-draft-strike/").status_code == 200


def test_a_signed_in_user_without_the_view_permission_sees_published_data_only(draft_entry):
    nobody = factories.UserFactory(is_staff=False)
    response = token_client(nobody).get("/api/v1/entries/")
    assert response.status_code == 200
    assert response.json()["results"] == []


# --- Anonymous writes ----------------------------------------------------------------------


def detail_urls():
    entry = rich_entry()
    claim = entry.claims.get()
    return [
        f"/api/v1/entries/{entry.slug}/",
        f"/api/v1/claims/{claim.pk}/",
        f"/api/v1/figures/{entry.figures.first().pk}/",
        f"/api/v1/actors/{claim.claimant.slug}/",
        f"/api/v1/places/{entry.places.get().slug}/",
        f"/api/v1/sources/{entry.sources.get().pk}/",
    ]


def test_anonymous_writes_on_every_endpoint_are_refused_and_change_nothing(api):
    urls = detail_urls()
    before = snapshot()
    body = {"title": "Vandalised", "name": "Vandalised", "best": 1000, "status": "published"}
    for url in urls:
        for method in ("put", "patch", "delete"):
            response = getattr(api, method)(url, body, format="json")
            assert response.status_code in (401, 403), (method, url)
    for name in RESOURCES:
        response = api.post(f"/api/v1/{name}/", body, format="json")
        assert response.status_code in (401, 403), name
    for export in ("entries.csv", "timelinejs.json", "entries.geojson"):
        response = api.post(f"/api/v1/export/{export}", body, format="json")
        assert response.status_code in (401, 403), export
    assert snapshot() == before


def test_an_anonymous_write_is_told_to_authenticate_with_a_token(api):
    response = api.post("/api/v1/entries/", entry_body(), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"' or response[
        "WWW-Authenticate"
    ].startswith("Token")


def test_an_invalid_token_is_401(api, published_entry):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/entries/").status_code == 401


# --- Editors write, publishers publish -----------------------------------------------------


def test_an_editor_creates_an_entry_recorded_in_history_with_the_user_and_reason(
    editor_api, editor
):
    place = factories.PlaceFactory(slug="odesa", name="Odesa")
    actor = factories.ActorFactory(slug="russia", name="Russia", side_id="russia")
    body = entry_body(places=["odesa"], actors=[{"actor": "russia", "role": "initiator"}])
    response = editor_api.post(
        "/api/v1/entries/", body, format="json", HTTP_X_CHANGE_REASON="Port authority statement"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["slug"] == "missiles-hit-odesa-port"
    assert data["status"] == "draft"
    assert response["Location"] == data["api_url"]
    entry = Entry.objects.get(slug="missiles-hit-odesa-port")
    assert list(entry.places.all()) == [place]
    assert entry.entry_actors.get().actor == actor
    record = entry.history.latest()
    assert (record.history_user, record.history_change_reason) == (
        editor,
        "Port authority statement",
    )
    assert entry.entry_actors.get().history.latest().history_user == editor


def test_an_editor_changes_an_entry_and_the_change_reason_in_the_body_is_kept(
    editor_api, editor, draft_entry
):
    response = editor_api.patch(
        f"/api/v1/entries/{draft_entry.slug}/",
        {"summary": "Corrected summary.", "change_reason": "Typo"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["summary"] == "Corrected summary."
    record = Entry.objects.get(pk=draft_entry.pk).history.latest()
    assert (record.history_user, record.history_change_reason, record.summary) == (
        editor,
        "Typo",
        "Corrected summary.",
    )


def test_a_write_without_a_reason_gets_a_default_one_in_history(editor_api, draft_entry):
    editor_api.patch(f"/api/v1/entries/{draft_entry.slug}/", {"time_note": "x"}, format="json")
    assert draft_entry.history.latest().history_change_reason == "Changed through the API"


def test_an_editor_can_send_an_entry_to_review(editor_api, draft_entry):
    response = editor_api.patch(
        f"/api/v1/entries/{draft_entry.slug}/", {"status": "review"}, format="json"
    )
    assert response.status_code == 200
    draft_entry.refresh_from_db()
    assert draft_entry.status == "review"


def test_an_editor_cannot_publish(editor_api, review_entry):
    response = editor_api.patch(
        f"/api/v1/entries/{review_entry.slug}/", {"status": "published"}, format="json"
    )
    assert response.status_code == 403
    assert "Only publishers can publish" in response.json()["detail"]
    review_entry.refresh_from_db()
    assert review_entry.status == "review"


def test_an_editor_cannot_create_an_entry_already_published(editor_api):
    body = entry_body(status="published")
    before = snapshot()
    response = editor_api.post("/api/v1/entries/", body, format="json")
    assert response.status_code == 403
    assert snapshot() == before


def test_an_editor_cannot_unpublish_or_delete_an_entry(editor_api, published_entry):
    url = f"/api/v1/entries/{published_entry.slug}/"
    assert editor_api.patch(url, {"status": "draft"}, format="json").status_code == 403
    assert editor_api.delete(url).status_code == 403
    published_entry.refresh_from_db()
    assert published_entry.status == "published"


def test_a_publisher_publishes_and_history_shows_the_publisher(
    publisher_api, publisher, review_entry
):
    records_before = review_entry.history.count()
    response = publisher_api.patch(
        f"/api/v1/entries/{review_entry.slug}/",
        {"status": "published", "change_reason": "Two sources agree"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    review_entry.refresh_from_db()
    assert review_entry.status == "published"
    assert review_entry.published_at is not None
    record = review_entry.history.latest()
    assert (record.history_user, record.history_change_reason) == (publisher, "Two sources agree")
    assert review_entry.history.count() == records_before + 1  # one record for one request


def test_publishing_an_entry_without_a_source_is_400_naming_sources(publisher_api):
    entry = factories.EntryFactory(status="review", sources=[])
    response = publisher_api.patch(
        f"/api/v1/entries/{entry.slug}/", {"status": "published"}, format="json"
    )
    assert response.status_code == 400
    assert "cannot be published without a source" in response.json()["sources"][0]
    entry.refresh_from_db()
    assert entry.status == "review"


def test_a_failing_write_leaves_nothing_half_written(publisher_api):
    body = entry_body(status="published", sources=[])
    before = snapshot()
    response = publisher_api.post("/api/v1/entries/", body, format="json")
    assert response.status_code == 400
    assert "sources" in response.json()
    assert snapshot() == before


def test_an_entry_kind_that_is_not_of_its_track_is_400_naming_kind(editor_api):
    response = editor_api.post(
        "/api/v1/entries/", entry_body(track="diplomacy", kind="missile_strike"), format="json"
    )
    assert response.status_code == 400
    assert "is not a kind of diplomacy entry" in response.json()["kind"][0]


def test_an_entry_that_ends_before_it_starts_is_400(editor_api):
    response = editor_api.post(
        "/api/v1/entries/",
        entry_body(ended_at="2025-11-24T00:00:00+02:00"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "The end time must not be before the start time."
    ]


def test_an_entry_with_a_taken_slug_is_409_naming_the_field(editor_api, published_entry):
    body = entry_body(slug="published-strike")
    before = snapshot()
    response = editor_api.post("/api/v1/entries/", body, format="json")
    assert response.status_code == 409
    assert "slug" in response.json()
    assert snapshot() == before


def test_a_body_naming_a_record_that_does_not_exist_is_409_naming_the_field(editor_api):
    body = entry_body(places=["atlantis"])
    before = snapshot()
    response = editor_api.post("/api/v1/entries/", body, format="json")
    assert response.status_code == 409
    assert list(response.json()) == ["places"]
    assert snapshot() == before


def test_a_body_that_is_also_invalid_stays_400(editor_api):
    response = editor_api.post(
        "/api/v1/entries/", entry_body(places=["atlantis"], track="navy"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"places", "track"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", 7, "Give text (a JSON string)."),
        ("places", {"kyiv": True}, "Give a list (a JSON array)."),
        ("places", [7], "Give a slug (a JSON string)."),
    ],
)
def test_a_body_value_of_the_wrong_json_type_is_400(editor_api, field, value, message):
    response = editor_api.post("/api/v1/entries/", entry_body(**{field: value}), format="json")
    assert response.status_code == 400
    assert response.json()[field] == [message]


def test_an_empty_string_for_a_relation_is_400_not_null(editor_api):
    response = editor_api.post(
        "/api/v1/places/", {"name": "Odesa", "kind": "city", "parent": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["parent"] == ["Give the key of a record, or null."]
    assert not Place.objects.filter(name="Odesa").exists()


def test_writes_take_json_only(editor_api):
    before = snapshot()
    response = editor_api.post("/api/v1/sources/", {"title": "Port statement"}, format="multipart")
    assert response.status_code == 415
    assert snapshot() == before


def test_an_editor_adds_a_claim_recorded_in_history(editor_api, editor, draft_entry):
    actor = factories.ActorFactory(slug="kremlin")
    source = factories.SourceFactory()
    response = editor_api.post(
        "/api/v1/claims/",
        {
            "entry": draft_entry.slug,
            "claimant": "kremlin",
            "quote": "more than two hundred drones",
            "paraphrase": "Says it intercepted over 200 drones.",
            "kind": "figure",
            "sources": [source.pk],
            "change_reason": "Ministry statement",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    claim = Claim.objects.get(pk=response.json()["id"])
    assert claim.claimant == actor
    record = claim.history.latest()
    assert (record.history_user, record.history_change_reason) == (editor, "Ministry statement")


def test_a_claim_without_sources_is_400_naming_sources(editor_api, draft_entry):
    factories.ActorFactory(slug="kremlin")
    response = editor_api.post(
        "/api/v1/claims/",
        {"entry": draft_entry.slug, "claimant": "kremlin", "paraphrase": "x", "kind": "position"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"sources": ["A claim needs at least one source."]}


def test_a_graded_claim_needs_a_date_and_a_reason(editor_api, draft_entry):
    claim = draft_entry.claims.get()
    response = editor_api.patch(
        f"/api/v1/claims/{claim.pk}/", {"assessment": "contradicted"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"assessed_on", "assessment_reason"}
    claim.refresh_from_db()
    assert claim.assessment == "unverified"


def figure_body(entry, **overrides):
    scope = factories.PlaceFactory()
    reporter = factories.ActorFactory()
    source = factories.SourceFactory()
    body = {
        "entry": entry.slug,
        "metric": "killed",
        "scope": scope.slug,
        "best": 4,
        "qualifier": "at_least",
        "as_of": "2025-11-25T06:00:00+02:00",
        "reported_by": reporter.slug,
        "source": source.pk,
    }
    return body | overrides


def test_an_editor_adds_a_figure_and_a_new_report_becomes_current(editor_api, editor, draft_entry):
    first = editor_api.post("/api/v1/figures/", figure_body(draft_entry), format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["is_current"] is True
    revision = first.json() | {"best": 6, "as_of": "2025-11-25T14:00:00+02:00"}
    second = editor_api.post("/api/v1/figures/", revision, format="json")
    assert second.status_code == 201, second.json()
    old = editor_api.get(f"/api/v1/figures/{first.json()['id']}/").json()
    assert (old["best"], old["is_current"]) == (4, False)
    assert Figure.objects.get(pk=second.json()["id"]).history.latest().history_user == editor


def test_a_figure_with_low_above_best_is_400_with_the_constraint_message(editor_api, draft_entry):
    response = editor_api.post("/api/v1/figures/", figure_body(draft_entry, low=9), format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "The low estimate cannot be above the best estimate."
    ]


def test_a_figure_without_a_source_is_400_naming_source(editor_api, draft_entry):
    body = figure_body(draft_entry)
    del body["source"]
    response = editor_api.post("/api/v1/figures/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"source": [FIGURE_SOURCE_REQUIRED]}


@pytest.mark.parametrize(
    "change",
    [{"best": 7}, {"low": 1}, {"qualifier": "about"}, {"as_of": "2025-11-26T00:00:00+02:00"}],
)
def test_a_reported_figure_value_is_never_overwritten(editor_api, draft_entry, change):
    figure = draft_entry.figures.get()
    response = editor_api.patch(f"/api/v1/figures/{figure.pk}/", change, format="json")
    assert response.status_code == 400
    [field] = change
    assert "post a new figure" in response.json()[field][0]
    assert Figure.objects.get(pk=figure.pk).best == figure.best


def test_a_figure_note_can_still_be_corrected(editor_api, draft_entry):
    figure = draft_entry.figures.get()
    response = editor_api.patch(
        f"/api/v1/figures/{figure.pk}/", {"note": "including children", "best": 4}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Figure.objects.get(pk=figure.pk).note == "including children"


def test_a_claim_written_through_the_api_moves_its_entry_updated_at(editor_api, draft_entry):
    claim = draft_entry.claims.get()
    Entry.objects.filter(pk=draft_entry.pk).update(updated_at=timezone.now() - dt.timedelta(days=1))
    editor_api.patch(f"/api/v1/claims/{claim.pk}/", {"paraphrase": "New words."}, format="json")
    draft_entry.refresh_from_db()
    assert draft_entry.updated_at > timezone.now() - dt.timedelta(minutes=1)


def test_deleting_an_actor_still_in_use_is_409(publisher_api):
    entry = rich_entry()
    actor = entry.claims.get().claimant
    response = publisher_api.delete(f"/api/v1/actors/{actor.slug}/")
    assert response.status_code == 409
    assert "still in use" in response.json()["detail"]


def test_a_publisher_deletes_a_claim_and_history_keeps_who(publisher_api, publisher):
    claim = rich_entry().claims.get()
    response = publisher_api.delete(f"/api/v1/claims/{claim.pk}/", HTTP_X_CHANGE_REASON="Duplicate")
    assert response.status_code == 204
    record = Claim.history.filter(id=claim.pk).latest()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "-",
        publisher,
        "Duplicate",
    )


def test_an_editor_creates_reference_data(editor_api):
    parent = editor_api.post(
        "/api/v1/places/", {"name": "Odesa Oblast", "kind": "region"}, format="json"
    )
    assert parent.status_code == 201, parent.json()
    place = editor_api.post(
        "/api/v1/places/",
        {"name": "Odesa", "kind": "city", "parent": "odesa-oblast", "latitude": 46.48},
        format="json",
    )
    assert place.status_code == 400  # both coordinates or neither, and their precision
    actor = editor_api.post(
        "/api/v1/actors/", {"name": "Odesa City Council", "kind": "local_authority"}, format="json"
    )
    assert actor.status_code == 201
    assert actor.json()["slug"] == "odesa-city-council"
    source = editor_api.post(
        "/api/v1/sources/", {"title": "Port statement", "url": "https://port.example.org/"}
    )
    assert source.status_code == 201
    assert Source.objects.get(pk=source.json()["id"]).history.latest().history_user.username == (
        "editor"
    )
    assert Place.objects.filter(slug="odesa-oblast").exists()


# --- The story end to end ------------------------------------------------------------------


def test_an_editor_records_a_strike_with_a_claim_and_a_figure_and_a_publisher_publishes_it(
    editor_api, publisher_api, api, editor, publisher
):
    kyiv = factories.PlaceFactory(slug="kyiv", name="Kyiv")
    factories.ActorFactory(slug="kyiv-mayor", name="Kyiv mayor")
    source = editor_api.post(
        "/api/v1/sources/",
        {"title": "Kyiv hit overnight", "publisher": "Reuters", "url": "https://r.example/k"},
        format="json",
    ).json()
    entry = editor_api.post(
        "/api/v1/entries/",
        entry_body(
            title="Missiles and drones on Kyiv",
            kind="combined_strike",
            places=["kyiv"],
            sources=[source["id"]],
            actors=[{"actor": "kyiv-mayor", "role": "speaker"}],
        ),
        format="json",
    ).json()
    claim = editor_api.post(
        "/api/v1/claims/",
        {
            "entry": entry["slug"],
            "claimant": "kyiv-mayor",
            "quote": "casualty numbers may still change",
            "paraphrase": "Says the toll may rise.",
            "kind": "figure",
            "sources": [source["id"]],
        },
        format="json",
    )
    assert claim.status_code == 201, claim.json()
    figure = editor_api.post(
        "/api/v1/figures/",
        {
            "entry": entry["slug"],
            "metric": "killed",
            "scope": kyiv.slug,
            "best": 6,
            "qualifier": "at_least",
            "as_of": "2025-11-25T14:00:00+02:00",
            "reported_by": "kyiv-mayor",
            "source": source["id"],
        },
        format="json",
    )
    assert figure.status_code == 201, figure.json()
    assert api.get("/api/v1/entries/").json()["results"] == []
    url = f"/api/v1/entries/{entry['slug']}/"
    assert editor_api.patch(url, {"status": "review"}, format="json").status_code == 200
    assert editor_api.patch(url, {"status": "published"}, format="json").status_code == 403
    published = publisher_api.patch(url, {"status": "published"}, format="json")
    assert published.status_code == 200
    [item] = api.get("/api/v1/entries/").json()["results"]
    assert item["title"] == "Missiles and drones on Kyiv"
    assert item["claims"][0]["quote"] == "casualty numbers may still change"
    assert item["current_figures"][0]["display_value"] == "at least 6"
    users = [
        r.history_user for r in Entry.objects.get(slug=entry["slug"]).history.order_by("history_id")
    ]
    assert users[0] == editor and users[-1] == publisher


# --- Filters --------------------------------------------------------------------------------


def slugs(response):
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def test_entries_filter_by_track_kind_actor_place_dates_assessment_and_search(api):
    tuesday = timezone.make_aware(dt.datetime(2025, 11, 25, 4))
    strike = rich_entry(slug="kyiv-strike", occurred_at=tuesday)
    talks = factories.DiplomacyEntryFactory(
        slug="geneva-talks", occurred_at=timezone.make_aware(dt.datetime(2025, 11, 23, 10))
    )
    mayor = strike.claims.get().claimant
    pechersk = factories.PlaceFactory(
        slug="pechersk", kind="district", parent=Place.objects.get(slug="kyiv")
    )
    district_strike = factories.EntryFactory(
        slug="pechersk-strike", places=[pechersk], occurred_at=tuesday
    )
    factories.EntryActorFactory(entry=talks, actor=factories.ActorFactory(slug="usa"), role="party")

    assert slugs(api.get("/api/v1/entries/", {"track": "diplomacy"})) == ["geneva-talks"]
    assert slugs(api.get("/api/v1/entries/", {"kind": "talks"})) == ["geneva-talks"]
    assert slugs(api.get("/api/v1/entries/", {"actor": "usa"})) == ["geneva-talks"]
    assert slugs(api.get("/api/v1/entries/", {"actor": mayor.slug})) == ["kyiv-strike"]
    assert set(slugs(api.get("/api/v1/entries/", {"place": "kyiv"}))) == {
        "kyiv-strike",
        "pechersk-strike",
    }
    assert slugs(api.get("/api/v1/entries/", {"place": "pechersk"})) == ["pechersk-strike"]
    assert slugs(api.get("/api/v1/entries/", {"from": "2025-11-23", "to": "2025-11-23"})) == [
        "geneva-talks"
    ]
    assert slugs(api.get("/api/v1/entries/", {"occurred_before": "2025-11-24T00:00:00+02:00"})) == [
        "geneva-talks"
    ]
    assert slugs(api.get("/api/v1/entries/", {"assessment": "corroborated"})) == ["kyiv-strike"]
    assert slugs(api.get("/api/v1/entries/", {"search": "several districts"})) == ["kyiv-strike"]
    assert slugs(api.get("/api/v1/entries/", {"search": "delegations"})) == ["geneva-talks"]
    Entry.objects.filter(pk=district_strike.pk).update(updated_at=timezone.now() + dt.timedelta(1))
    since = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert slugs(api.get("/api/v1/entries/", {"updated_since": since})) == ["pechersk-strike"]


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("track", "navy"),
        ("kind", "nuclear_strike"),
        ("status", "secret"),
        ("assessment", "maybe"),
        ("updated_since", "yesterday"),
        ("occurred_after", "2025-13-45"),
        ("from", "not-a-date"),
        ("page_size", "0"),
    ],
)
def test_an_invalid_filter_value_is_400_naming_the_parameter(
    api, published_entry, parameter, value
):
    response = api.get("/api/v1/entries/", {parameter: value})
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_a_null_character_in_a_parameter_is_400_not_a_database_error(api, published_entry):
    response = api.get("/api/v1/entries/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert "search" in response.json()


def test_other_lists_reject_invalid_filter_values_by_name(api):
    assert list(api.get("/api/v1/claims/", {"assessment": "x"}).json()) == ["assessment"]
    assert list(api.get("/api/v1/figures/", {"metric": "x"}).json()) == ["metric"]
    assert list(api.get("/api/v1/figures/", {"current": "maybe"}).json()) == ["current"]


@pytest.mark.parametrize(
    ("url", "parameter", "value"),
    [
        ("/api/v1/entries/", "actor", "nobody-at-all"),
        ("/api/v1/entries/", "place", "atlantis"),
        ("/api/v1/claims/", "claimant", "nobody-at-all"),
        ("/api/v1/actors/", "side", "martians"),
        ("/api/v1/figures/", "scope", "atlantis"),
        ("/api/v1/export/entries.csv", "place", "atlantis"),
    ],
)
def test_a_filter_naming_a_record_that_does_not_exist_is_404_naming_it(
    api, published_entry, url, parameter, value
):
    response = api.get(url, {parameter: value})
    assert response.status_code == 404
    body = response.json()
    assert value in body[parameter][0]
    assert value in body["detail"]


def test_an_empty_filter_is_no_filter(api, published_entry):
    everything = slugs(api.get("/api/v1/entries/"))
    assert everything == ["published-strike"]
    empty = dict.fromkeys(("track", "actor", "place", "from", "to", "updated_since"), "")
    assert slugs(api.get("/api/v1/entries/", empty | {"page_size": ""})) == everything


def test_the_api_reads_dates_as_written(api, published_entry):
    # Beyond the years the timeline can hold: the nearest day it can, not an error.
    assert slugs(api.get("/api/v1/entries/", {"from": "0001-01-01"})) == ["published-strike"]
    assert slugs(api.get("/api/v1/entries/", {"to": "0001-01-01"})) == []
    assert slugs(api.get("/api/v1/entries/", {"updated_since": "0001-01-01T00:00:00Z"})) == [
        "published-strike"
    ]
    # A range that ends before it starts holds nothing.
    reversed_range = {"from": "2025-12-01", "to": "2025-11-01"}
    response = api.get("/api/v1/entries/", reversed_range)
    assert response.status_code == 200
    assert slugs(response) == []


# --- Pagination -----------------------------------------------------------------------------


def many_entries(count):
    # Pairs share a time: the cursor must still neither skip nor repeat an entry.
    base = timezone.make_aware(dt.datetime(2025, 11, 1, 12))
    return [
        factories.EntryFactory(occurred_at=base + dt.timedelta(hours=n // 2), title=f"E{n:02d}")
        for n in range(count)
    ]


@pytest.mark.parametrize("ordering", [None, "occurred_at", "title", "-title", "-updated_at"])
def test_cursor_pages_cover_every_entry_exactly_once(api, ordering):
    entries = many_entries(25)
    params = {"page_size": 7} | ({"ordering": ordering} if ordering else {})
    seen = walk(api, "/api/v1/entries/", params)
    assert sorted(item["slug"] for item in seen) == sorted(e.slug for e in entries)
    assert len(seen) == 25


def test_the_default_order_is_newest_first(api):
    many_entries(6)
    seen = walk(api, "/api/v1/entries/", {"page_size": 4})
    times = [item["occurred_at"] for item in seen]
    assert times == sorted(times, reverse=True)


def test_page_size_is_capped_at_100(api):
    factories.EntryFactory.create_batch(105, sources=[])
    body = api.get("/api/v1/entries/", {"page_size": 500}).json()
    assert len(body["results"]) == 100
    assert body["next"]


def test_a_forged_cursor_is_404_not_a_server_error(api, published_entry):
    for cursor in ("garbage", "cD1ub3QtYS1kYXRl"):  # the second is base64 of "p=not-a-date"
        assert api.get("/api/v1/entries/", {"cursor": cursor}).status_code == 404


# --- Conditional requests and throttling ----------------------------------------------------


def test_lists_and_details_carry_an_etag_and_answer_304_when_it_matches(api, published_entry):
    for url in ("/api/v1/entries/", f"/api/v1/entries/{published_entry.slug}/"):
        first = api.get(url)
        assert first["ETag"].startswith('W/"')
        assert first["Last-Modified"]
        again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == first["ETag"]
        since = api.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304


def test_the_etag_changes_when_the_entry_changes(api, editor_api, published_entry):
    url = f"/api/v1/entries/{published_entry.slug}/"
    etag = api.get(url)["ETag"]
    editor_api.patch(url, {"summary": "Updated."}, format="json")
    response = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_every_list_has_an_etag(api):
    rich_entry()
    for name in RESOURCES:
        response = api.get(f"/api/v1/{name}/")
        assert response["ETag"], name
        assert api.get(f"/api/v1/{name}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_anonymous_callers_are_throttled_with_429(api, published_entry, monkeypatch):
    cache.clear()
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    statuses = [api.get("/api/v1/entries/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Retry-After" in api.get("/api/v1/entries/")
    cache.clear()


def test_signed_in_editors_are_not_throttled_as_anonymous(editor_api, monkeypatch):
    cache.clear()
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/minute"})
    assert [editor_api.get("/api/v1/entries/").status_code for _ in range(3)] == [200] * 3
    cache.clear()


# --- Performance: a fixed number of queries whatever the data -------------------------------


def populate(count):
    kyiv = factories.PlaceFactory(latitude="50.45", longitude="30.52", coordinate_precision="city")
    actor = factories.ActorFactory()
    source = factories.SourceFactory()
    for n in range(count):
        entry = factories.EntryFactory(sources=[source], places=[kyiv])
        EntryActor.objects.create(entry=entry, actor=actor, role="initiator")
        factories.ClaimFactory(entry=entry, claimant=actor, sources=[source])
        factories.FigureFactory(entry=entry, scope=kyiv, reported_by=actor, source=source)
        if n % 2:
            factories.FigureFactory(
                entry=entry, scope=kyiv, reported_by=actor, source=source, best=9
            )


# Each: the page, its prefetches, and one query for Last-Modified from the history tables.
LIST_QUERY_BUDGET = {
    "entries": 8,
    "claims": 4,
    "figures": 2,
    "actors": 2,
    "places": 2,
    "sources": 2,
}


def measure(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
    return len(queries)


def test_every_list_page_takes_the_same_few_queries_at_10_and_at_500_entries(
    api, django_assert_max_num_queries
):
    populate(10)
    at_10 = {name: measure(api, f"/api/v1/{name}/", page_size=100) for name in RESOURCES}
    populate(490)
    at_500 = {}
    for name in RESOURCES:
        with django_assert_max_num_queries(LIST_QUERY_BUDGET[name]):
            at_500[name] = measure(api, f"/api/v1/{name}/", page_size=100)
    assert at_500 == at_10
    assert at_10 == LIST_QUERY_BUDGET


def test_an_editors_entry_page_takes_the_same_queries_at_10_and_at_500_entries(
    editor_api, django_assert_max_num_queries
):
    populate(10)
    at_10 = measure(editor_api, "/api/v1/entries/", page_size=100)
    populate(490)
    # The entry page, plus the token, the user and the user's permissions.
    with django_assert_max_num_queries(LIST_QUERY_BUDGET["entries"] + 4):
        assert measure(editor_api, "/api/v1/entries/", page_size=100) == at_10


@pytest.mark.parametrize(
    "path",
    ["entries/%C2%84/", "entries/a%00b/", "claims/abc/", "figures/99999999999999999999999/"],
)
def test_a_malformed_slug_or_id_is_the_apis_json_404(api, path):
    response = api.get(f"/api/v1/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_browsable_api_and_options_answer_for_anonymous_callers_and_editors(api, editor_client):
    entry = rich_entry(slug="kyiv-strike")
    claim = entry.claims.get()
    urls = [
        "/api/v1/",
        *(f"/api/v1/{name}/" for name in RESOURCES),
        "/api/v1/entries/kyiv-strike/",
        f"/api/v1/claims/{claim.pk}/",
        f"/api/v1/figures/{entry.figures.first().pk}/",
        f"/api/v1/actors/{claim.claimant.slug}/",
        "/api/v1/places/kyiv/",
        f"/api/v1/sources/{entry.sources.get().pk}/",
    ]
    for client in (api, editor_client):
        for url in urls:
            page = client.get(url, HTTP_ACCEPT="text/html")
            assert page.status_code == 200, url
            assert page["Content-Type"].startswith("text/html")
            assert client.options(url).status_code == 200, url


def test_an_editors_change_does_not_write_back_a_status_changed_meanwhile(
    editor, publisher, review_entry
):
    from rest_framework.test import APIRequestFactory

    from timeline import services
    from timeline.api.serializers import EntryWriteSerializer

    request = APIRequestFactory().patch("/")
    request.user = editor
    stale = Entry.objects.get(pk=review_entry.pk)  # read before the publisher acts
    services.entry_publish(entry=review_entry, user=publisher)
    serializer = EntryWriteSerializer(
        stale, data={"summary": "Typo fixed."}, partial=True, context={"request": request}
    )
    assert serializer.is_valid(), serializer.errors
    serializer.save()
    review_entry.refresh_from_db()
    assert (review_entry.status, review_entry.summary) == ("published", "Typo fixed.")


def test_an_editor_reports_a_revised_number_through_the_shared_service(editor_api, editor):
    entry = rich_entry()
    current = entry.figures.order_by("as_of").last()
    response = editor_api.post(
        f"/api/v1/figures/{current.pk}/revise/",
        {"best": 8, "as_of": "2025-11-25T18:00:00+02:00", "change_reason": "Mayor's update"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["best"], body["display_value"], body["is_current"]) == (8, "at least 8", True)
    assert body["scope"] == current.scope.slug
    current.refresh_from_db()
    assert current.best == 6  # the earlier report stays as it was
    record = Figure.objects.get(pk=body["id"]).history.latest()
    assert (record.history_user, record.history_change_reason) == (editor, "Mayor's update")


def test_a_revision_that_breaks_a_rule_is_400_and_writes_nothing(editor_api):
    figure = rich_entry().figures.first()
    count = Figure.objects.count()
    response = editor_api.post(f"/api/v1/figures/{figure.pk}/revise/", {"best": 2, "low": 5})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert Figure.objects.count() == count


def test_anonymous_callers_cannot_revise_a_figure(api):
    figure = rich_entry().figures.first()
    before = snapshot()
    assert api.post(f"/api/v1/figures/{figure.pk}/revise/", {"best": 1}).status_code == 401
    assert snapshot() == before


def test_last_modified_follows_a_claim_edited_elsewhere_than_the_api(api, published_entry):
    claim = factories.ClaimFactory(entry=published_entry)
    first = api.get("/api/v1/entries/")
    # An edit in the admin: a history row, and the entry row itself untouched.
    claim.paraphrase = "Reworded."
    claim.save()
    later = timezone.now() + dt.timedelta(seconds=5)
    Claim.history.filter(id=claim.pk).update(history_date=later)
    response = api.get("/api/v1/entries/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert response.status_code == 200
    assert response["Last-Modified"] != first["Last-Modified"]


def test_updated_since_finds_an_entry_whose_claim_changed_in_the_admin(api, published_entry):
    claim = factories.ClaimFactory(entry=published_entry)
    other = factories.EntryFactory(slug="untouched")
    long_ago = timezone.now() - dt.timedelta(days=3)
    Entry.objects.filter(pk__in=[published_entry.pk, other.pk]).update(updated_at=long_ago)
    Claim.history.update(history_date=long_ago)
    Entry.history.update(history_date=long_ago)
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert slugs(api.get("/api/v1/entries/", {"updated_since": since})) == []
    claim.paraphrase = "Reworded in the admin."
    claim.save()
    assert slugs(api.get("/api/v1/entries/", {"updated_since": since})) == ["published-strike"]


def test_a_null_character_in_a_body_is_400_not_a_database_error(editor_api, draft_entry):
    factories.ActorFactory(slug="kremlin")
    body = {"entry": "secret\x00", "claimant": "kremlin", "paraphrase": "x", "kind": "position"}
    response = editor_api.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert "entry" in response.json()
    response = editor_api.post("/api/v1/claims/", body, format="multipart")
    assert response.status_code == 415


def test_a_patch_naming_an_actor_without_a_role_is_400_not_a_server_error(
    publisher_api, published_entry
):
    factories.ActorFactory(slug="kremlin")
    before = snapshot()
    response = publisher_api.patch(
        f"/api/v1/entries/{published_entry.slug}/", {"actors": [{"actor": "kremlin"}]}
    )
    assert response.status_code == 400
    assert response.json()["actors"] == {"0": {"role": ["This field is required."]}}
    response = publisher_api.patch(
        f"/api/v1/entries/{published_entry.slug}/", {"actors": [{"actor": 7, "role": "target"}]}
    )
    assert response.status_code == 400
    assert response.json()["actors"] == {"0": {"actor": ["Give a slug (a JSON string)."]}}
    assert snapshot() == before


def test_claims_search_matches_every_term_in_the_quote_paraphrase_or_claimant(api, draft_entry):
    putin = factories.ActorFactory(name="Vladimir Putin")
    trump = factories.ActorFactory(name="Donald Trump")
    by_quote = factories.ClaimFactory(claimant=trump, quote="The Kremlin wants the grid dark")
    by_paraphrase = factories.ClaimFactory(claimant=trump, paraphrase="Says the grid is a target.")
    by_claimant = factories.ClaimFactory(claimant=putin, quote="We want peace")
    factories.ClaimFactory(entry=draft_entry, claimant=putin, quote="grid draft quote")

    def found(search):
        response = api.get("/api/v1/claims/", {"search": search})
        assert response.status_code == 200
        return {item["id"] for item in response.json()["results"]}

    assert found("GRID") == {by_quote.pk, by_paraphrase.pk}
    assert found("putin") == {by_claimant.pk}
    assert found("grid trump") == {by_quote.pk, by_paraphrase.pk}
    assert found("grid putin") == set()
    assert found('"want peace" vladimir') == {by_claimant.pk}
    assert found("sunflower") == set()
