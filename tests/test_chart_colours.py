"""Every colour the pictures draw with meets WCAG AA contrast, read from the stylesheet.

WCAG 2.1: text 4.5:1 against what it sits on (1.4.3; chart text is 11-12 px, never "large"),
graphics a reader needs to understand the picture 3:1 (1.4.11). The ratios are computed here
from parallax.css (and the live map's outline colours in map.js), so changing a colour there
is what this test checks.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

STATIC = Path(settings.BASE_DIR) / "timeline" / "static" / "timeline"
TEXT, GRAPHIC = 4.5, 3.0
COLOUR_PROPERTIES = ("fill", "stroke", "color", "background", "background-color")


def without_at_rules(css):
    """The stylesheet without @media blocks (print styles do not change screen colours)."""
    out, depth, i = [], 0, 0
    while i < len(css):
        if depth == 0 and css.startswith("@media", i):
            depth, i = 0, css.index("{", i) + 1
            nesting = 1
            while nesting:
                nesting += {"{": 1, "}": -1}.get(css[i], 0)
                i += 1
            continue
        out.append(css[i])
        i += 1
    return "".join(out)


def parse(css):
    """{selector: {property: value}} for every rule, later declarations winning."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", without_at_rules(css)):
        declarations = {
            name.strip(): value.strip().removesuffix("!important").strip()
            for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body)
        }
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)
    return rules


CSS_TEXT = (STATIC / "parallax.css").read_text()
# Leaflet's own rules first: where parallax.css restyles a Leaflet element, ours wins.
RULES = parse((STATIC / "vendor" / "leaflet" / "leaflet.css").read_text())
for selector, declarations in parse(CSS_TEXT).items():
    RULES.setdefault(selector, {}).update(declarations)
# The pictures' own rules: everything after the section's heading comment.
PICTURE_RULES = parse(CSS_TEXT[CSS_TEXT.index("/* --- Pictures") :])


def value(selector, prop):
    raw = RULES[selector][prop]
    while match := re.fullmatch(r"var\((--[\w-]+)\)", raw):
        raw = RULES[":root"][match.group(1)]
    return raw


NAMED = {"white": "#ffffff", "black": "#000000"}


def rgb(colour):
    colour = NAMED.get(colour, colour).lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", colour), colour
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def colour(selector, prop):
    """The colour a rule paints, composited over nothing yet: (rgb, opacity)."""
    opacity = float(RULES[selector].get(f"{prop}-opacity", 1)) if prop in ("fill", "stroke") else 1
    return rgb(value(selector, prop)), opacity


def over(top, bottom):
    """`top` (rgb, opacity) painted over an opaque `bottom` rgb, as browsers blend in sRGB."""
    (r, g, b), alpha = top
    return tuple(round(alpha * c + (1 - alpha) * d) for c, d in zip((r, g, b), bottom, strict=True))


def luminance(colour):
    def linear(channel):
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_known_pairs():
    assert ratio(rgb("#000"), rgb("#fff")) == pytest.approx(21)
    assert ratio(rgb("#767676"), rgb("#fff")) == pytest.approx(4.54, abs=0.01)
    assert over((rgb("#000000"), 0.5), rgb("#ffffff")) == (128, 128, 128)


def matching(prefix):
    found = sorted(s for s in PICTURE_RULES if re.fullmatch(re.escape(prefix) + r"[\w-]+", s))
    assert found, f"no {prefix}* rules in parallax.css"
    return found


# Backgrounds the marks sit on.
CARD = (".chart", "background")  # every chart's frame
SHADE = (".pulse-shade", "fill")  # the 72 hours after talks, behind the pulse chart's bars
BAND = (".step-band", "fill")  # a figure's low-high band, behind its step line
MAP_GROUNDS = [(".map-svg .land", "fill"), (".map-svg .oblast", "fill"), (".map-svg .sea", "fill")]

# (foreground, [backgrounds], minimum ratio)
CHECKS = [
    *[((s, "fill"), [CARD, SHADE], GRAPHIC) for s in matching(".kind-")],
    *[((s, "stroke"), [CARD, SHADE], GRAPHIC) for s in matching(".kind-")],  # pulse stacks
    *[((s, "background"), [CARD], GRAPHIC) for s in matching(".kind-")],  # legend swatches
    *[((s, "fill"), [CARD], GRAPHIC) for s in matching(".metric-")],
    *[((s, "background"), [CARD], GRAPHIC) for s in matching(".metric-")],
    *[((s, "fill"), [CARD], GRAPHIC) for s in matching(".claim-seg-")],
    *[((s, "background"), MAP_GROUNDS, GRAPHIC) for s in matching(".map-cluster-")],
    ((".pulse-dots", "fill"), [CARD, SHADE], GRAPHIC),
    ((".pulse-marker path", "fill"), [CARD, SHADE], GRAPHIC),
    ((".pulse-axis", "stroke"), [CARD], GRAPHIC),
    ((".pulse-lane", "stroke"), [CARD, SHADE], GRAPHIC),
    *[
        ((f".chart a:focus-visible {mark}", "stroke"), [CARD, SHADE], GRAPHIC)
        for mark in ("rect", "circle", "path")
    ],
    ((".step-line", "stroke"), [CARD, BAND], GRAPHIC),
    ((".step-dot", "fill"), [CARD, BAND], GRAPHIC),
    ((".step-band", "stroke"), [CARD], GRAPHIC),
    ((".step-axis", "stroke"), [CARD], GRAPHIC),
    ((".casualty-range", "stroke"), [CARD, (".casualty-range-halo", "stroke")], GRAPHIC),
    ((".map-svg .pt-military", "fill"), MAP_GROUNDS, GRAPHIC),
    ((".map-svg .pt-diplomacy", "fill"), MAP_GROUNDS, GRAPHIC),
    (
        (".map-svg .land", "stroke"),
        [(".map-svg .land", "fill"), (".map-svg .sea", "fill")],
        GRAPHIC,
    ),
    ((".map-svg .oblast", "stroke"), [(".map-svg .oblast", "fill")], GRAPHIC),
    ((".chart svg text", "fill"), [CARD, SHADE], TEXT),
    ((".pulse-marker text", "fill"), [CARD, SHADE], TEXT),
    ((".chart-range", "color"), [CARD], TEXT),
    ((".chart-toggle", "color"), [CARD], TEXT),
    (
        (".leaflet-container a.map-popup-link", "color"),
        [(".leaflet-popup-tip", "background")],
        TEXT,
    ),
    *[((".map-cluster", "color"), [(s, "background")], TEXT) for s in matching(".map-cluster-")],
]

# Colours drawn but not held to a ratio, and why: WCAG 1.4.11 asks it of what a reader needs
# to understand the picture, and each of these carries nothing the marks and text above do
# not already say.
EXEMPT = {
    (".pulse-grid", "stroke"): "dashed gridlines; the scale's numbers and the table carry values",
    (".pulse-shade", "fill"): "the window after a marker that passes; the description says it",
    (".pulse-days a:hover rect", "fill"): "a light column under the pointer; the marks pass",
    (".step-band", "fill"): "the band's edge (its stroke) passes and is what shows the range",
    (".casualty-range-halo", "stroke"): "a white halo separating the range line from its bar",
    (".map-svg .land", "fill"): "the base map; its boundaries (strokes) pass",
    (".map-svg .oblast", "fill"): "the base map; its boundaries (strokes) pass",
    (".map-svg .sea", "fill"): "the base map; its boundaries (strokes) pass",
    (".map-live", "background"): "the live map's sea, as .map-svg .sea",
    (".map-svg .pt-military", "stroke"): "a white outline separating overlapping points",
    (".map-svg .pt-diplomacy", "stroke"): "a white outline separating overlapping points",
    (".chart", "background"): "the background the checks measure against",
    (".swatch-diplomacy", "background"): "the legend's swatch of .pulse-dots' colour",
    (".swatch-range", "background"): "the legend's swatch of .casualty-range's colour",
}


def describe(check):
    (selector, prop), backgrounds, minimum = check
    return f"{selector} {prop} ≥ {minimum}:1"


@pytest.mark.parametrize("check", CHECKS, ids=describe)
def test_chart_colours_meet_aa_contrast(check):
    (selector, prop), backgrounds, minimum = check
    for background in backgrounds:
        ground = over(colour(*background), (255, 255, 255))
        painted = over(colour(selector, prop), ground)
        found = ratio(painted, ground)
        assert found >= minimum, (
            f"{selector} {prop} {value(selector, prop)} on {background[0]} "
            f"{value(*background)}: {found:.2f}:1, needs {minimum}:1"
        )


@pytest.mark.parametrize("point", [".map-svg .pt-military", ".map-svg .pt-diplomacy"])
def test_counts_on_the_map_points_are_readable(point):
    """White numbers on a translucent point: measured on the point as it shows over each
    ground."""
    for ground_rule in MAP_GROUNDS:
        ground = over(colour(*ground_rule), (255, 255, 255))
        disc = over(colour(point, "fill"), ground)
        text = over(colour(".map-svg text", "fill"), disc)
        assert ratio(text, disc) >= TEXT, (point, ground_rule, round(ratio(text, disc), 2))


def test_every_picture_colour_is_checked_or_exempt_with_a_reason():
    checked = {fg for fg, _, _ in CHECKS} | {bg for _, bgs, _ in CHECKS for bg in bgs}
    checked |= {(".map-svg text", "fill")}  # test_counts_on_the_map_points_are_readable
    painted = {
        (selector, prop)
        for selector, declarations in PICTURE_RULES.items()
        for prop in COLOUR_PROPERTIES
        if declarations.get(prop, "none") not in ("none", "transparent", "inherit", "currentColor")
    }
    unaccounted = sorted(painted - checked - set(EXEMPT))
    assert not unaccounted, unaccounted


def test_the_live_map_draws_boundaries_in_the_checked_colours():
    script = (STATIC / "map.js").read_text()
    outlines = {
        name: (stroke, fill)
        for name, stroke, fill in re.findall(
            r'outline\(el\.dataset\.(\w+), \{ color: "(#\w+)".*?fillColor: "(#\w+)"', script
        )
    }
    assert outlines == {
        "countries": (value(".map-svg .land", "stroke"), value(".map-svg .land", "fill")),
        "oblasts": (value(".map-svg .oblast", "stroke"), value(".map-svg .oblast", "fill")),
    }
