# ruff: noqa: F811  (pytest fixtures imported from test_browser are redefined as arguments)
"""The pictures in a real browser: the pulse chart, the map, the fallbacks, phone width."""

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests.test_browser import (  # noqa: F401  (fixtures)
    browser,
    entry_with_revisions,
    page,
    screenshot,
    story,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migrated_rows"),  # from conftest.py
]
DOCS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def to_docs(path, name):
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, DOCS / name)


def test_pulse_shows_the_geneva_marker_before_the_strike_bars(page, live_server, story):
    page.goto(live_server.url + "/")
    marker = page.locator(".pulse-marker", has_text="Geneva").first
    bar = page.locator('.pulse-days [data-day="2025-11-25"]')
    assert marker.bounding_box()["x"] < bar.bounding_box()["x"]
    to_docs(screenshot(page, "pulse", height=900), "pulse.png")
    bar.click()
    page.wait_for_url("**/?from=2025-11-25&to=2025-11-25")
    assert "25 November 2025" in page.locator(".day-heading").first.text_content()


def test_the_map_draws_boundaries_and_markers_from_the_site_alone(page, live_server, story):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    page.goto(live_server.url + "/map/")
    page.wait_for_selector("#map-live[data-loaded]")
    assert page.locator("#map-live path.leaflet-interactive, #map-live svg path").count() > 20
    assert page.locator(".map-cluster").count() >= 2
    assert not page.locator(".map-svg").is_visible()
    assert hosts == {urlparse(live_server.url).netloc}, hosts
    to_docs(screenshot(page, "map"), "map.png")


def test_without_javascript_the_svg_fallbacks_show(browser, live_server, story):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(live_server.url + "/map/")
    assert page.locator(".map-svg").is_visible()
    assert page.locator(".map-svg path.oblast").count() >= 25
    assert page.locator(".map-point").count() >= 2
    page.goto(live_server.url + "/")
    assert page.locator(".pulse-svg").is_visible()
    context.close()


@pytest.mark.parametrize("path", ["/", "/map/", "entry", "/places/kyiv/"])
def test_pictures_fit_a_390px_phone(browser, live_server, story, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    if path == "entry":
        path = entry_with_revisions().get_absolute_url()
    page.goto(live_server.url + path)
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (path, scroll_width, client_width)
    context.close()


def test_an_entry_page_shows_its_figure_chart(page, live_server, story):
    page.goto(live_server.url + entry_with_revisions().get_absolute_url())
    chart = page.locator(".step-chart").first
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    path = screenshot(page, "entry-figure-chart")
    to_docs(path, "entry-figure-chart.png")


def test_kyiv_page_charts_its_killed_and_injured(page, live_server, story):
    page.goto(live_server.url + "/places/kyiv/")
    chart = page.locator("#casualties")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    # The night of 25 November as Kyiv reported it: its own figures, not Ukraine's total.
    night = page.locator('.casualty-bar[data-day="2025-11-25"]')
    assert night.get_attribute("aria-label") == (
        "Tue 25 Nov 2025 at Kyiv: at least 4 killed, at least 7 injured"
    )
    killed = night.locator("rect.metric-killed").bounding_box()
    injured = night.locator("rect.metric-injured").bounding_box()
    assert killed["x"] < injured["x"] and killed["height"] < injured["height"]
    screenshot(page, "place-casualties")
    chart.locator("summary").click()
    assert chart.locator("tbody tr").all_inner_texts() == [
        "Tue 25 Nov 2025\tat least 4\tat least 7"
    ]
    night.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/?place=kyiv&from=2025-11-25&to=2025-11-25")


def test_the_place_chart_shows_without_javascript_in_print_and_on_a_phone(
    browser, live_server, story
):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto(live_server.url + "/places/kyiv/")
    svg = page.locator(".casualties-svg")
    svg.scroll_into_view_if_needed()
    assert svg.is_visible()
    assert svg.bounding_box()["width"] <= 390
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (scroll_width, client_width)
    page.emulate_media(media="print")
    assert svg.is_visible()
    assert page.locator(".casualty-bar rect").count() == 2
    context.close()
