"""The editors' desk: who may publish by any route, numbers that are never overwritten,
previews, one-click revisions, one history per entry and corrections readers can see."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from timeline import services
from timeline.models import Entry, Figure

from .admin_forms import read_admin_form
from .factories import ClaimFactory, EntryFactory, FigureFactory, PlaceFactory, SourceFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def admin_url(name, *args):
    return reverse(f"admin:timeline_{name}", args=args)


def set_status(entry, status, user, reason):
    services.entry_set_status(entry=entry, status=status, user=user, reason=reason)
    entry.refresh_from_db()


@pytest.fixture
def strike(db):
    kyiv = PlaceFactory(name="Kyiv", slug="kyiv")
    entry = EntryFactory(title="Drone strike on Kharkiv", slug="kharkiv-strike", status="draft")
    FigureFactory(entry=entry, scope=kyiv, metric="killed", best=2, qualifier="at_least")
    return entry


# --- Hole 1: History → Revert cannot publish or unpublish --------------------------------


def revert(client, entry, version):
    url = admin_url("entry_simple_history", entry.pk, version.history_id)
    data = read_admin_form(client.get(url).content.decode(), "historicalentry_form")
    return client.post(url, data)


def test_an_editor_reverting_to_an_in_review_version_leaves_a_published_entry_public(
    editor_client, publisher, strike
):
    set_status(strike, "review", publisher, "Sent to review")
    in_review = strike.history.latest()
    set_status(strike, "published", publisher, "Published")

    response = revert(editor_client, strike, in_review)

    assert response.status_code == 302
    strike.refresh_from_db()
    assert strike.status == "published"
    assert editor_client.logout() is None
    assert editor_client.get(strike.get_absolute_url()).status_code == 200


def test_an_editor_reverting_to_a_published_version_does_not_republish(
    editor_client, publisher, strike
):
    set_status(strike, "published", publisher, "Published")
    published = strike.history.latest()
    set_status(strike, "review", publisher, "Pulled back for a check")

    revert(editor_client, strike, published)

    strike.refresh_from_db()
    assert strike.status == "review"
    editor_client.logout()
    assert editor_client.get(strike.get_absolute_url()).status_code == 404


def test_an_editor_posting_a_published_status_in_a_revert_gets_a_form_error(
    editor_client, publisher, strike
):
    set_status(strike, "published", publisher, "Published")
    published = strike.history.latest()
    set_status(strike, "review", publisher, "Pulled back")
    url = admin_url("entry_simple_history", strike.pk, published.history_id)
    data = read_admin_form(editor_client.get(url).content.decode(), "historicalentry_form")
    data["status"] = "published"

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert "Only publishers can publish" in response.content.decode()
    strike.refresh_from_db()
    assert strike.status == "review"


def test_a_revert_restores_the_text_and_says_so_in_the_history(editor_client, publisher, strike):
    old_title = strike.title
    original = strike.history.latest()
    strike.title = "A wrong title"
    strike._change_reason = "Typo"
    strike.save()

    revert(editor_client, strike, original)

    strike.refresh_from_db()
    assert strike.title == old_title
    assert strike.history.latest().history_change_reason.startswith("Reverted to the version of")


def test_a_service_call_with_a_stale_entry_checks_the_stored_status(editor, publisher, strike):
    stale = Entry.objects.get(pk=strike.pk)
    set_status(strike, "published", publisher, "Published")
    stale.status = "review"  # what a form built before publication would carry

    with pytest.raises(services.PermissionDenied):
        services.entry_set_status(entry=stale, status="draft", user=editor)
    strike.refresh_from_db()
    assert strike.status == "published"


# --- Hole 2: a recorded number is never overwritten ---------------------------------------


def test_the_figure_page_shows_recorded_values_but_cannot_change_them(editor_client, strike):
    figure = strike.figures.get()
    url = admin_url("figure_change", figure.pk)
    page = editor_client.get(url).content.decode()
    data = read_admin_form(page, "figure_form")
    assert "best" not in data  # shown as text, not as an input
    data.update(best="5", note="Checked")

    response = editor_client.post(url, data)

    assert response.status_code == 302
    figure.refresh_from_db()
    assert (figure.best, figure.note) == (2, "Checked")


def test_a_recorded_value_cannot_be_saved_over_by_any_code(strike):
    figure = strike.figures.get()
    figure.best = 5
    with pytest.raises(ValidationError, match="cannot be changed"):
        figure.save()
    assert Figure.objects.get(pk=figure.pk).best == 2


def test_editors_cannot_delete_a_figure_and_publishers_cannot_either_from_its_page(
    client, editor, publisher, strike
):
    figure = strike.figures.get()
    for user in (editor, publisher):
        client.force_login(user)
        assert client.get(admin_url("figure_delete", figure.pk)).status_code == 403
    assert Figure.objects.filter(pk=figure.pk).exists()


def test_the_api_refuses_to_overwrite_or_delete_a_figure(editor, publisher, strike):
    from rest_framework.test import APIClient

    figure = strike.figures.get()
    for user in (editor, publisher):
        api = APIClient()
        api.force_authenticate(user)
        response = api.patch(f"/api/v1/figures/{figure.pk}/", {"best": 5}, format="json")
        assert response.status_code == 400
        assert "best" in response.json()
        assert api.delete(f"/api/v1/figures/{figure.pk}/").status_code in (403, 405)
    figure.refresh_from_db()
    assert figure.best == 2


def test_a_new_report_in_one_click_keeps_the_old_one(editor_client, editor, strike):
    figure = strike.figures.get()
    change_page = editor_client.get(admin_url("entry_change", strike.pk)).content.decode()
    new_report_url = admin_url("figure_new_report", figure.pk)
    assert new_report_url in change_page

    form_page = editor_client.get(new_report_url).content.decode()
    data = read_admin_form(form_page, "figure_report_form")
    assert data["best"] == "2" and data["qualifier"] == "at_least"
    assert data["source"] == str(figure.source_id)
    data.update(best="6", as_of_0="25.11.2025", as_of_1="14:00", change_reason="Mayor's update")

    response = editor_client.post(new_report_url, data)

    assert response.status_code == 302
    reports = list(strike.figures.order_by("as_of", "pk"))
    assert [report.best for report in reports] == [2, 6]
    assert reports[1].as_of == timezone.make_aware(dt.datetime(2025, 11, 25, 14, 0))
    assert (reports[1].metric, reports[1].scope_id) == (figure.metric, figure.scope_id)
    assert reports[1].history.latest().history_user == editor


def test_a_publisher_marks_a_mistaken_report_and_readers_see_the_correction(
    client, editor, publisher, strike
):
    figure = strike.figures.get()
    later = services.figure_record_revision(
        previous=figure, user=publisher, best=20, as_of=figure.as_of + dt.timedelta(hours=1)
    )
    set_status(strike, "published", publisher, "Published")
    url = admin_url("figure_mark_error", later.pk)
    client.force_login(editor)
    assert client.get(url).status_code == 403
    client.force_login(publisher)

    client.post(url, {"error_reason": "A typing error: the mayor said 2."})
    client.logout()

    later.refresh_from_db()
    assert later.is_error and later.best == 20
    strike = Entry.objects.get(pk=strike.pk)
    assert [f.best for f in strike.current_figures()] == [2]
    html = client.get(strike.get_absolute_url()).content.decode()
    assert "<del>at least 20 killed</del>" in html
    assert "A typing error: the mayor said 2." in html
    assert "Corrected on" in html


# --- Hole 3: the README's first steps work as written ------------------------------------


def test_editors_lose_the_delete_figure_permission(editors_group, publishers_group):
    assert not editors_group.permissions.filter(codename="delete_figure").exists()
    assert publishers_group.permissions.filter(codename="delete_figure").exists()


# --- Preview -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "review"])
def test_staff_preview_an_unpublished_entry_with_a_banner_never_cached_or_indexed(
    editor_client, client, strike, status
):
    strike.status = status
    strike.save()

    response = editor_client.get(strike.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview, not public." in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["Cache-Control"] == "private, no-store"
    assert "noindex" in response["X-Robots-Tag"]
    editor_client.logout()
    assert editor_client.get(strike.get_absolute_url()).status_code == 404


def test_published_entries_show_no_preview_banner_to_staff(editor_client, publisher, strike):
    set_status(strike, "published", publisher, "Published")
    html = editor_client.get(strike.get_absolute_url()).content.decode()
    assert "Preview, not public." not in html


def test_the_changelist_links_each_entry_to_its_page(editor_client, strike):
    html = editor_client.get(admin_url("entry_changelist")).content.decode()
    assert f'href="{strike.get_absolute_url()}"' in html
    assert ">Preview</a>" in html


# --- One history per entry ------------------------------------------------------------------


def test_the_entry_history_shows_claim_and_figure_changes_one_row_per_save(
    editor_client, publisher, strike
):
    claim = ClaimFactory(entry=strike, quote="We hit only military targets")
    url = admin_url("entry_change", strike.pk)
    data = read_admin_form(editor_client.get(url).content.decode(), "entry_form")
    data.update(
        {
            "claims-0-assessment": "disputed",
            "claims-0-assessed_on": "26.11.2025",
            "claims-0-assessment_reason": "Residents describe a strike on homes.",
            "change_reason": "Graded the ministry's claim",
        }
    )
    assert editor_client.post(url, data).status_code == 302
    figure = strike.figures.get()
    services.figure_record_revision(previous=figure, user=publisher, best=4)
    services.entry_set_status(entry=strike, status="review", user=publisher)

    history = editor_client.get(admin_url("entry_history", strike.pk))

    rows = history.context["entry_history"]
    steps = [[step.what for step in row.steps] for row in rows]
    assert steps[0] == ["sent to review"]
    assert steps[1] == ["figure revised"]
    graded = next(row for row in rows if "claim re-graded" in [s.what for s in row.steps])
    assert graded.reason == "Graded the ministry's claim"
    assert graded.user.username == "editor"
    detail = next(s.detail for s in graded.steps if s.what == "claim re-graded")
    assert "unverified → disputed" in detail
    html = history.content.decode()
    assert "claim re-graded" in html and "figure revised" in html
    assert claim.quote in html


# --- Corrections shown to readers ----------------------------------------------------------


def test_changes_after_publication_are_listed_under_updates_and_in_the_feed(
    client, publisher, strike
):
    claim = ClaimFactory(entry=strike)
    set_status(strike, "published", publisher, "Published")
    strike.summary = "A drone hit a block of flats in Kharkiv."
    strike._change_reason = "The regional governor corrected the target"
    strike._history_user = publisher
    strike.save()
    claim.assessment = "contradicted"
    claim.assessed_on = dt.date(2025, 11, 26)
    claim.assessment_reason = "Photos show a residential block."
    claim._change_reason = "Regraded after the photos"
    claim.save()

    html = client.get(strike.get_absolute_url()).content.decode()

    assert 'id="updates"' in html
    assert "The regional governor corrected the target" in html
    assert "unverified → contradicted" in html
    feed = ET.fromstring(client.get("/feed/").content)  # noqa: S314 (our own XML)
    item = next(e for e in feed.iter(f"{ATOM}entry") if e.find(f"{ATOM}title").text == strike.title)
    assert item.find(f"{ATOM}updated").text != item.find(f"{ATOM}published").text
    assert "Updated" in item.find(f"{ATOM}summary").text


def test_edits_before_publication_are_not_updates(client, publisher, strike):
    strike.summary = "Draft wording changed"
    strike.save()
    set_status(strike, "published", publisher, "Published")
    html = client.get(strike.get_absolute_url()).content.decode()
    assert 'id="updates"' not in html


# --- Dates an editor can trust --------------------------------------------------------------


def entry_form_data(client, entry, **changes):
    url = admin_url("entry_change", entry.pk)
    data = read_admin_form(client.get(url).content.decode(), "entry_form")
    data.update(changes)
    return url, data


@pytest.mark.parametrize("typed", ["27.11.2025", "2025-11-27", "27/11/2025"])
def test_dates_typed_day_first_or_iso_are_accepted(editor_client, strike, typed):
    url, data = entry_form_data(
        editor_client, strike, occurred_at_0=typed, occurred_at_1="04:10", ended_at_0=""
    )
    assert editor_client.post(url, data).status_code == 302
    strike.refresh_from_db()
    assert timezone.localtime(strike.occurred_at).date() == dt.date(2025, 11, 27)


def test_a_date_in_an_unknown_layout_names_the_expected_formats(editor_client, strike):
    url, data = entry_form_data(editor_client, strike, occurred_at_0="Nov 27th", ended_at_0="")
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "Enter the date as 27.11.2025 or 2025-11-27." in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [("1899-12-31", "before 1900"), ("2999-01-01", "more than a day in the future")],
)
def test_implausible_dates_are_refused_with_the_reason(editor_client, strike, typed, message):
    url, data = entry_form_data(editor_client, strike, occurred_at_0=typed, ended_at_0="")
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors["occurred_at"][0]


def test_the_form_names_its_clock_once_and_explains_the_parts_of_the_day(editor_client, strike):
    html = editor_client.get(admin_url("entry_change", strike.pk)).content.decode()
    assert html.count("All times on this form are Kyiv time.") == 1
    assert "before dawn 03:00" in html


# --- Review at a glance and small faults ---------------------------------------------------


def test_the_admin_home_shows_entries_awaiting_review_and_my_drafts(editor_client, editor):
    EntryFactory(title="Waiting for a publisher", status="review")
    mine = EntryFactory.build(title="My own draft", status="draft")
    mine._history_user = editor
    mine.save()
    EntryFactory(title="Someone else's draft", status="draft")

    html = editor_client.get(reverse("admin:index")).content.decode()

    assert "1</strong> entry awaits review" in html
    assert "My own draft" in html
    assert "Someone else's draft" not in html


def test_unpublish_counts_only_the_entries_it_unpublished(publisher_client, publisher, strike):
    other = EntryFactory(status="published")
    response = publisher_client.post(
        admin_url("entry_changelist"),
        {"action": "unpublish", "_selected_action": [strike.pk, other.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 entry unpublished." in html
    assert "1 entry was not published and left as is." in html


def test_slug_help_texts_show_the_address_literally(editor_client, strike):
    html = editor_client.get(admin_url("entry_change", strike.pk)).content.decode()
    assert "/entries/strikes-on-kyiv/" in html
    assert "/entries//" not in html


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)


def test_the_contrast_panel_says_nothing_about_totals_when_it_shows_none(client):
    talks = EntryFactory(track="diplomacy", kind="talks", title="Talks", slug="talks")
    EntryFactory(occurred_at=talks.occurred_at + dt.timedelta(hours=5), title="Quiet strike")
    html = client.get(talks.get_absolute_url()).content.decode()
    assert "Quiet strike" in html
    assert "Totals take" not in html


def test_a_figure_reported_in_the_sources_own_voice_says_so(client, strike, publisher):
    source = SourceFactory(title="The article")
    FigureFactory(
        entry=strike,
        metric="injured",
        scope=strike.figures.get().scope,
        reported_by=None,
        source=source,
        scope_label="several districts",
    )
    set_status(strike, "published", publisher, "Published")
    html = client.get(strike.get_absolute_url()).content.decode()
    assert "In the source's own reporting:" in html
    assert "several districts" in html
