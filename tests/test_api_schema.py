import json
import re
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from timeline.models import ClaimEvidence, Dataset

from . import factories
from .api_helpers import rich_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_the_schema_is_clean_under_spectacular_validate_fail_on_warn(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "openapi: 3" in text
    assert "/api/v1/entries/{slug}/" in text


def test_the_schema_is_served_at_api_schema(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Parallax API"
    for path in (
        "/api/v1/entries/",
        "/api/v1/claims/",
        "/api/v1/figures/",
        "/api/v1/actors/",
        "/api/v1/places/",
        "/api/v1/sources/",
        "/api/v1/export/entries.csv",
        "/api/v1/export/timelinejs.json",
        "/api/v1/export/entries.geojson",
    ):
        assert path in schema["paths"], path


def openapi(api):
    return api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_every_status_the_api_answers_is_documented(api):
    paths = openapi(api)["paths"]
    entries, entry = paths["/api/v1/entries/"], paths["/api/v1/entries/{slug}/"]
    assert {"200", "304", "400", "401", "404", "429"} <= set(entries["get"]["responses"])
    assert {"201", "400", "401", "403", "429"} <= set(entries["post"]["responses"])
    assert {"200", "304", "400", "401", "404", "429"} <= set(entry["get"]["responses"])
    assert {"200", "400", "401", "403", "404", "429"} <= set(entry["patch"]["responses"])
    assert {"204", "401", "403", "404", "409", "429"} <= set(entry["delete"]["responses"])
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "429"} <= codes, (method, path)
            if method != "get":
                assert "403" in codes, (method, path)


def test_the_list_parameters_are_documented(api):
    operation = openapi(api)["paths"]["/api/v1/entries/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names >= {
        "track",
        "kind",
        "status",
        "actor",
        "place",
        "from",
        "to",
        "assessment",
        "updated_since",
        "search",
        "ordering",
        "cursor",
        "page_size",
    }


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_nothing_from_another_host(api, url):
    response = api.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references, html
    assert not [ref for ref in references if re.match(r"(https?:)?//", ref)], references
    assert "googleapis" not in html
    assert "cdn" not in html.lower()
    scripts = [ref for ref in references if ref.endswith(".js")]
    for script in scripts:
        assert script.startswith("/static/drf_spectacular_sidecar/")
        asset = api.get(script)
        assert asset.status_code == 200, script
        b"".join(asset.streaming_content) if asset.streaming else asset.content


def test_the_api_root_and_docs_answer_even_with_no_data(api):
    for url in ("/api/v1/", "/api/docs/", "/api/redoc/", "/api/schema/"):
        assert api.get(url).status_code == 200, url


# --- Schemathesis: the project's own schema against the project, through WSGI --------------


def generated_schema():
    """The schema /api/schema/ serves, generated in-process (no database needed)."""
    generator = SchemaGenerator()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


# Every check schemathesis has, configured as the repository's schemathesis.toml says (the
# same file `schemathesis run` reads): writes may refuse a body for a rule the schema cannot
# state, reads refuse nothing the schema allows.
CONFIG = SchemathesisConfig.from_path(Path(__file__).resolve().parent.parent / "schemathesis.toml")
schema = schemathesis.openapi.from_dict(generated_schema(), config=CONFIG)
schema.app = application  # requests go through the project's WSGI application


@pytest.fixture
def story(db, settings):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]  # schemathesis's WSGI client host
    # Data for the detail operations to find, and a draft to prove it stays hidden; a place
    # without coordinates (an empty precision) and evidence that is a claim, not an entry.
    strike = rich_entry(slug="kyiv-strike")
    talks = factories.DiplomacyEntryFactory(slug="geneva-talks")
    odesa = factories.PlaceFactory(name="Odesa", slug="odesa")
    assert odesa.latitude is None and odesa.coordinate_precision == ""
    strike.places.add(odesa)
    factories.FigureFactory(entry=strike, scope=odesa, reported_by=None)
    promise = factories.ClaimFactory(entry=talks, quote="a deal is within reach")
    ClaimEvidence.objects.create(
        claim=promise,
        other_claim=strike.claims.first(),
        relation=ClaimEvidence.Relation.CONTRADICTS,
    )
    factories.EntryFactory(slug="a-draft", status="draft")
    # An imported entry from a dataset with no home page or licence address (a monitor's CSV).
    monitor = Dataset.objects.create(name="A monitor", redistributable=True)
    factories.EntryFactory(slug="monitored-strike", dataset=monitor, external_id="M1")
    # Calling the WSGI application directly would close the database connection at the end
    # of each request, and with it the test's transaction; Django's test client does this too.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize(
    ("path", "parameters"),
    [("/api/v1/entries/", {}), ("/api/v1/entries/{slug}/", {"slug": "monitored-strike"})],
)
def test_an_imported_entry_whose_dataset_has_no_web_address_conforms(story, path, parameters):
    case = schema[path]["GET"].Case(path_parameters=parameters)
    response = case.call_and_validate()
    assert "A monitor" in response.text


def test_public_reads_declare_anonymous_access_and_writes_do_not(api):
    paths = openapi(api)["paths"]
    assert {} in paths["/api/v1/entries/"]["get"]["security"]
    assert {} in paths["/api/v1/export/entries.csv"]["get"]["security"]
    assert {} not in paths["/api/v1/entries/"]["post"]["security"]
    assert {} not in paths["/api/v1/entries/{slug}/"]["patch"]["security"]


def test_values_that_can_be_null_or_empty_say_so(api):
    components = openapi(api)["components"]["schemas"]
    assert components["ClaimEvidence"]["properties"]["entry"]["nullable"] is True
    precision = components["PlaceSummary"]["properties"]["coordinate_precision"]
    enums = [
        components[ref["$ref"].rsplit("/", 1)[1]].get("enum", [])
        for ref in precision.get("oneOf", precision.get("allOf", [precision]))
        if "$ref" in ref
    ]
    assert "" in sum(enums, [])


def test_the_schema_under_test_is_the_one_served(api):
    assert generated_schema()["paths"].keys() == openapi(api)["paths"].keys()


@schema.include(method="GET").parametrize()
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_read_operation_conforms_to_the_schema_and_never_errors(case, story):
    response = case.call_and_validate()
    assert "a-draft" not in response.text


@pytest.fixture
def publisher_token(story, publisher):
    return Token.objects.create(user=publisher).key


@schema.parametrize()
@hypothesis_settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_as_a_publisher_conforms_to_the_schema(case, publisher_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {publisher_token}"},
    )
