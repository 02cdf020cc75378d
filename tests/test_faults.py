"""Faults as readers meet them: the database gone is a calm 503, a bug is our own 500 page
with a request id that is in the logs too, and logs can be JSON lines (issue 10)."""

import json
import logging
import sys

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from timeline.errors import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_gone(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)


@pytest.fixture
def reader():
    return Client(raise_request_exception=False)


def test_with_the_database_gone_pages_are_a_friendly_503(reader, database_gone):
    for url in ("/", "/claims/", "/entries/anything/"):
        response = reader.get(url)
        assert response.status_code == 503, url
        text = response.content.decode()
        assert "Parallax is back shortly" in text
        assert "Traceback" not in text and "OperationalError" not in text
        assert response["Retry-After"] == "30"
        assert response["X-Request-ID"] in text


def test_with_the_database_gone_the_api_answers_503_in_json(reader, database_gone):
    response = reader.get("/api/v1/entries/")
    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; try again in a minute."}


def test_with_the_database_gone_healthz_is_503(reader, database_gone):
    assert reader.get("/healthz").status_code == 503


@pytest.mark.parametrize("url", ["/broken/view/", "/broken/template/"])
def test_a_bug_is_our_own_500_page_logged_with_the_request_id(reader, settings, caplog, url):
    settings.ROOT_URLCONF = "tests.urls_with_a_fault"
    caplog.handler.addFilter(RequestIdFilter())  # as the console handler has it
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = reader.get(url)
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong on our side" in text
    assert "Traceback" not in text
    request_id = response["X-Request-ID"]
    assert request_id in text
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert logged[-1].request_id == request_id
    assert "Traceback" in caplog.text


def test_a_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client):
    assert client.get("/", HTTP_X_REQUEST_ID="abc123def456")["X-Request-ID"] == "abc123def456"
    replaced = client.get("/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 32


def test_json_log_lines_carry_the_level_message_request_id_and_traceback():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("django.request").makeRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/x",),
            exc_info=sys.exc_info(),
        )
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "ERROR"
    assert parsed["message"] == "Internal Server Error: /x"
    assert parsed["request_id"] == "-"
    assert "ValueError: broken" in parsed["exception"]
