"""Faults as readers meet them: our own 500 and 503 pages, each request's id in the logs,
and log lines as JSON when LOG_FORMAT=json (issue 10)."""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy in front already gave the request is kept, if it looks like one.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

current_request_id = contextvars.ContextVar("request_id", default="-")
logger = logging.getLogger("timeline.errors")


class RequestIdMiddleware:
    """Gives every request an id: on the request, in every log line, in a response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request.id = given if ACCEPTED_ID.fullmatch(given) else uuid.uuid4().hex
        token = current_request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request.id
        return response


class DatabaseUnavailableMiddleware:
    """The database gone (or too busy to answer in time): a calm 503, never a stack trace."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable: %s", exception, exc_info=exception)
        request_id = getattr(request, "id", "")
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": "The database is unavailable; try again in a minute."}, status=503
            )
        else:
            html = loader.render_to_string("503.html", {"request_id": request_id})
            response = HttpResponse(html, status=503)
        response["Retry-After"] = "30"
        return response


def server_error(request):
    """handler500: our own page, with the request's id to quote."""
    html = loader.render_to_string("500.html", {"request_id": getattr(request, "id", "")})
    return HttpResponseServerError(html)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record ("-" outside a request)."""

    def filter(self, record):
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, traceback."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id.get()),
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            line["path"] = request.path
            line["method"] = request.method
        if getattr(record, "status_code", None):
            line["status"] = record.status_code
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
