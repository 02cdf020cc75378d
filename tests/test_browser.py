"""The public site in a real browser: Playwright driving Debian's Chromium.

Run alone with `pytest -m browser`. Without /usr/bin/chromium these tests are skipped on a
workstation and fail in CI (CI=true), where a missing browser is a broken build.
Screenshots go to test-artifacts/screenshots/ (ignored by git); the home page at desktop
width is also copied to docs/screenshots/home-desktop.png for the README.
"""

import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from timeline.models import Entry, Source

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# test body are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEED_FIXTURE = "geneva-talks-kyiv-strikes"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
README_SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "screenshots" / "home-desktop.png"

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; serialized_rollback restores what migrations seeded
    # (the Editors and Publishers groups) for the tests that run after these.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migrated_rows"),
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: the browser tests must run in CI.")
        pytest.skip(f"{message}; install Debian's chromium package to run the browser tests.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name, *, full_page=False, height=None):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if height:
        width = page.viewport_size["width"]
        clip = {"x": 0, "y": 0, "width": width, "height": height}
        page.screenshot(path=str(path), full_page=True, clip=clip)
    else:
        page.screenshot(path=str(path), full_page=full_page)
    return path


def seed_fixture_path():
    return Path(settings.BASE_DIR) / "fixtures" / f"{SEED_FIXTURE}.json"


def at(day, hour=0, minute=0):
    return timezone.make_aware(dt.datetime(2025, 11, day, hour, minute))


@pytest.fixture
def story(transactional_db, migrated_rows):
    """The seed story, as `make seed` loads it: fixtures/geneva-talks-kyiv-strikes.json."""
    assert seed_fixture_path().exists(), f"{seed_fixture_path()} is missing"
    call_command("loaddata", SEED_FIXTURE, verbosity=0)
    assert Entry.objects.published().filter(track="diplomacy").exists()
    assert Entry.objects.published().filter(track="military").exists()


def entry_with_revisions():
    """A published entry with a figure that was reported more than once."""
    for entry in Entry.objects.published().prefetch_related("figures__scope"):
        if any(len(group) > 1 for group in entry.figure_histories().values()):
            return entry
    raise AssertionError("The story has no figure with a revision.")


def test_home_page_shows_diplomacy_beside_military_for_the_seed_story(page, live_server, story):
    page.goto(live_server.url + "/")
    diplomacy = page.locator(".track-diplomacy .card")
    military = page.locator(".track-military .card")
    assert diplomacy.count() >= 1
    assert military.count() >= 1
    assert "Geneva" in " ".join(diplomacy.all_inner_texts())
    assert "Kyiv" in " ".join(military.all_inner_texts())
    # Side by side on a desktop: a military card sits to the right of the diplomacy column.
    left = page.locator(".track-diplomacy").first.bounding_box()
    right = page.locator(".track-military").first.bounding_box()
    assert right["x"] > left["x"] + left["width"] / 2
    assert page.locator(".track-head-diplomacy").is_visible()
    assert page.locator(".track-head-military").is_visible()
    screenshot(page, "home-desktop-full", full_page=True)
    # Tall enough to show a day of strikes beside the days of talks before it.
    path = screenshot(page, "home-desktop", height=1900)
    README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, README_SCREENSHOT)
    assert README_SCREENSHOT.stat().st_size < 400_000


def test_filtering_by_track_with_the_form_changes_the_results(page, live_server, story):
    page.goto(live_server.url + "/")
    assert page.locator(".card-diplomacy").count() >= 1
    page.get_by_label("Track").select_option(label="Military")
    page.get_by_role("button", name="Show entries").click()
    page.wait_for_url("**/?*track=military*")
    assert page.locator(".card-diplomacy").count() == 0
    assert page.locator(".card-military").count() >= 1
    assert "match these filters" in page.locator(".match-count").inner_text()
    assert page.get_by_label("Track").input_value() == "military"


def test_filtering_by_place_with_the_form_includes_its_districts(page, live_server, story):
    page.goto(live_server.url + "/")
    before = page.locator(".card").count()
    # The place picker is a combobox: type, pick a suggestion with the keyboard, submit.
    place = page.get_by_role("combobox", name="Place")
    place.press_sequentially("Ky")
    page.get_by_role("option", name="Kyiv", exact=False).first.wait_for()
    assert place.get_attribute("aria-expanded") == "true"
    place.press("ArrowDown")
    assert place.get_attribute("aria-activedescendant")
    place.press("Enter")
    assert place.input_value() == "Kyiv"
    page.get_by_role("button", name="Show entries").click()
    page.wait_for_url("**/?*place=kyiv*")
    titles = page.locator(".card-title").all_inner_texts()
    assert 0 < len(titles) < before
    assert any("Kyiv" in title for title in titles)
    assert not any("Geneva" in title for title in titles)


def test_filters_can_be_used_with_the_keyboard_alone(page, live_server, story):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("Track").focus()
    page.keyboard.press("ArrowDown")  # Both tracks → Diplomacy
    assert page.get_by_label("Track").input_value() == "diplomacy"
    page.keyboard.press("Shift+Tab")  # back to the search box, where Enter submits
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.press("Enter")
    page.wait_for_url("**/?*track=diplomacy*")
    assert page.locator(".card-military").count() == 0


def test_entry_page_shows_revision_history_and_the_contrast_panel(page, live_server, story):
    entry = entry_with_revisions()
    page.goto(live_server.url + entry.get_absolute_url())
    assert page.locator("h1").inner_text() == entry.title
    revised = page.locator(".figure:has(.figure-trail)").first
    assert "→" in revised.locator(".figure-trail").inner_text()
    revisions = revised.locator(".revision")
    assert revisions.count() >= 2
    assert "as of" in revisions.first.inner_text()
    assert page.locator(".revision-tag-old").count() >= 1
    panel = page.locator("#contrast")
    assert panel.is_visible()
    assert "within 72 hours before" in panel.inner_text().lower()
    assert panel.locator(".contrast-item").count() >= 1
    screenshot(page, "entry-desktop", full_page=True)
    # Printed, the page drops navigation and filters and keeps the dossier.
    page.emulate_media(media="print")
    assert not page.locator(".site-nav").is_visible()
    assert page.locator("#contrast").is_visible()
    screenshot(page, "entry-print", full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "entry-phone", full_page=True)


def test_an_imported_entry_page_credits_its_dataset(page, live_server, story, tmp_path):
    sample = Path(__file__).parent / "data" / "import" / "ucdp-ged-ukraine.csv.gz"
    shutil.copy(sample, tmp_path / sample.name)
    call_command("import_events", str(tmp_path / sample.name), format="ucdp", stdout=io.StringIO())
    entry = Entry.objects.get(dataset__name="UCDP GED", external_id="540001")
    page.goto(live_server.url + entry.get_absolute_url())
    credit = page.locator("#sources .dataset-credit")
    assert credit.is_visible()
    text = credit.inner_text()
    assert text.startswith("Data: Uppsala Conflict Data Program (UCDP)")
    assert "accessed" in text
    assert credit.locator("a[rel~=license]").get_attribute("href") == (
        "https://creativecommons.org/licenses/by/4.0/"
    )
    screenshot(page, "entry-imported", full_page=True)


def test_contrast_panel_on_the_talks_counts_the_strikes_after(page, live_server, story):
    talks = Entry.objects.published().filter(track="diplomacy", kind="talks").first()
    page.goto(live_server.url + talks.get_absolute_url())
    after = page.locator(".contrast-summary").nth(1).inner_text()
    assert "strike" in after
    assert "killed" in after


@pytest.mark.parametrize(
    "path", ["/", "/claims/", "entry", "/actors/donald-trump/", "/places/kyiv/"]
)
def test_nothing_scrolls_sideways_on_a_390px_phone(browser, live_server, story, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    if path == "entry":
        path = entry_with_revisions().get_absolute_url()
    page.goto(live_server.url + path)
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (path, scroll_width, client_width)
    if path == "/":
        # Stacked: the track labels are visible above each column.
        assert page.locator(".track-label").first.is_visible()
        assert not page.locator(".track-heads").is_visible()
        screenshot(page, "home-phone")
        screenshot(page, "home-phone-full", full_page=True)
    context.close()


def test_a_hostile_title_runs_no_script(page, live_server, transactional_db):
    source = Source.objects.create(title="Report", url="https://example.org/r")
    hostile = Entry.objects.create(
        title="<script>alert(1)</script><img src=x onerror=alert(2)>",
        slug="hostile",
        summary='"><svg onload=alert(3)>',
        track="military",
        kind="drone_strike",
        status="published",
        occurred_at=at(25, 3),
    )
    hostile.sources.set([source])
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in ("/", "/entries/hostile/", "/?q=<script>alert(4)</script>", "/claims/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
    page.goto(live_server.url + "/entries/hostile/")
    assert "<script>alert(1)</script>" in page.locator("h1").inner_text()
    assert page.locator("img").count() == 0
    assert dialogs == []


# WCAG 2 contrast of every visible text element against the first opaque background behind
# it: 4.5:1, or 3:1 for large text (24px, or 18.66px bold).
CONTRAST_SCRIPT = """
() => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const luminance = ({r, g, b}) => {
    const channel = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.a > 0.5) return colour;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const failures = [];
  for (const element of document.body.querySelectorAll("*")) {
    const text = [...element.childNodes]
      .filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent.trim())
      .join("");
    if (!text) continue;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (style.visibility === "hidden" || box.width <= 1 || box.height <= 1) continue;
    if (element.closest(".skip-link")) continue;
    if (element.tagName === "INPUT" || element.tagName === "OPTION") continue;
    const fg = parse(style.color);
    const bg = background(element);
    const [light, dark] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    if (ratio < needed) {
      const where = `${element.tagName}.${element.className}`;
      failures.push(`${where} "${text.slice(0, 40)}" ${ratio.toFixed(2)}`);
    }
  }
  return failures;
}
"""


@pytest.mark.parametrize("path", ["/", "entry", "/claims/", "/?from=banana"])
def test_text_meets_aa_contrast(page, live_server, story, path):
    if path == "entry":
        path = entry_with_revisions().get_absolute_url()
    page.goto(live_server.url + path)
    assert page.evaluate(CONTRAST_SCRIPT) == []


def test_focus_is_visible_on_links_and_fields(page, live_server, story):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the brand link, after the skip link
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.get_by_label("Track").focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"


def test_the_site_works_with_javascript_turned_off(browser, live_server, story):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(live_server.url + "/")
    # Without JavaScript the place picker is a text field the server resolves by name.
    page.get_by_label("Place").fill("kyiv")
    page.get_by_label("Track").select_option(label="Military")
    page.get_by_role("button", name="Show entries").click()
    page.wait_for_url("**/?*place=kyiv*")
    assert page.locator(".card-diplomacy").count() == 0
    assert page.locator(".card-military").count() >= 1
    page.locator(".card-title a").first.click()
    page.wait_for_url("**/entries/**")
    assert page.locator("#contrast").is_visible()
    context.close()


# --- The editors' desk -----------------------------------------------------------------------


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


@pytest.fixture
def desk(transactional_db, migrated_rows):
    """An editor and an entry with three figures, two claims and a source."""
    from django.contrib.auth.models import Group

    from tests import factories

    factories.UserFactory(username="olena", groups=[Group.objects.get(name="Editors")])
    kharkiv = factories.PlaceFactory(name="Kharkiv", slug="kharkiv")
    entry = factories.EntryFactory(title="Drone strike on Kharkiv", status="draft")
    factories.ClaimFactory(entry=entry, quote="First claim", position=1)
    factories.ClaimFactory(entry=entry, quote="Second claim", position=2)
    for metric, best in (("killed", 2), ("injured", 11), ("buildings_damaged", 4)):
        factories.FigureFactory(entry=entry, scope=kharkiv, metric=metric, best=best)
    return entry


def test_the_figures_table_fits_a_1400px_window_with_its_errors_in_view(browser, live_server, desk):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "olena")
    page.goto(f"{live_server.url}/admin/timeline/entry/{desk.pk}/change/")
    table = page.locator("#figures-group table")
    assert table.bounding_box()["x"] + table.bounding_box()["width"] <= 1400
    wider = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wider, "the entry page scrolls sideways at 1,400 px"
    page.locator("#figures-group .add-row a").click()
    page.locator("select[name='figures-3-metric']").select_option("missing")
    page.get_by_role("button", name="Save", exact=True).click()
    error = page.locator("#figures-group .errorlist").first
    error.wait_for()
    box = error.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1400
    screenshot(page, "desk-figures-1400")
    context.close()


def test_kinds_follow_the_track_and_claims_move_with_buttons(page, live_server, desk):
    sign_in(page, live_server, "olena")
    page.goto(f"{live_server.url}/admin/timeline/entry/{desk.pk}/change/")
    page.locator("#id_track").select_option("diplomacy")
    kinds = page.locator("#id_kind option:not([disabled])").evaluate_all(
        "options => options.map(option => option.value).filter(Boolean)"
    )
    assert "talks" in kinds and "drone_strike" not in kinds
    page.locator("#id_track").select_option("military")
    page.locator("#id_kind").select_option("drone_strike")

    assert not page.locator("#claims-group input[name$='-position']").first.is_visible()
    page.get_by_role("button", name="Move this claim up").nth(1).click()
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_load_state()
    quotes = [claim.quote for claim in desk.claims.order_by("position", "id")]
    assert quotes == ["Second claim", "First claim"]


def test_a_publisher_previews_a_draft_that_readers_cannot_see(page, live_server, desk):
    page.goto(live_server.url + desk.get_absolute_url())
    assert "Page not found" in page.content() or page.title().startswith("Not found")
    sign_in(page, live_server, "olena")
    page.goto(live_server.url + desk.get_absolute_url())
    assert page.get_by_role("status").inner_text().startswith("Preview, not public.")


# --- Content-Security-Policy: the docs and the desk work under it ----------------------------


def csp_violations(page):
    """Collects what the browser refused under the Content-Security-Policy."""
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return refused


def test_swagger_ui_renders_under_the_content_security_policy(page, live_server, story):
    refused = csp_violations(page)
    page.goto(live_server.url + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Parallax API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 10
    assert refused == []


def test_redoc_renders_under_the_content_security_policy(page, live_server, story):
    refused = csp_violations(page)
    page.goto(live_server.url + "/api/redoc/")
    page.get_by_role("heading", name="Parallax API").first.wait_for()
    page.locator("h2", has_text="List entries").first.wait_for()
    # ReDoc's "API docs by Redocly" badge is an image on Redocly's CDN: the policy keeps
    # the docs from calling out to it, as intended; nothing of ours is refused.
    assert [text for text in refused if "cdn.redoc.ly/redoc/logo-mini.svg" not in text] == []


def test_the_desk_works_under_the_content_security_policy(page, live_server, desk):
    refused = csp_violations(page)
    sign_in(page, live_server, "olena")
    page.goto(f"{live_server.url}/admin/timeline/entry/{desk.pk}/change/")
    page.locator("#figures-group").wait_for()
    assert refused == []
