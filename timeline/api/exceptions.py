"""One place where Django's exceptions become API answers with field names."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This object is still in use and cannot be deleted."
    default_code = "conflict"


# A well-formed request can still name a record that does not exist, or take a slug that
# another one holds: the schema cannot know which records exist, so these are not 400s.
REFERENCE_CODES = frozenset({"does_not_exist", "unique"})


def about_records_only(error):
    """The answer for a ValidationError that only names absent or taken records: on a read, 404
    (a filter naming an actor, place or side that does not exist); on a write, 409 (the body
    refers to a record that does not exist, or takes a slug already in use), as PostgREST
    answers foreign-key and unique violations. The body still names each field."""
    codes = set(_flat(error.get_codes()))
    if not codes or not codes <= REFERENCE_CODES:
        return None
    return error.detail


class Absent(exceptions.NotFound):
    def __init__(self, detail):
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        messages = [str(message) for value in fields.values() for message in _flat(value)]
        super().__init__({"detail": " ".join(messages), **fields})


class ReferenceConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail):
        self.detail = detail if isinstance(detail, dict) else {"non_field_errors": detail}


def _flat(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _flat(item)
    elif isinstance(value, list):
        for item in value:
            yield from _flat(item)
    else:
        yield value


def drf_validation_error(error):
    """A Django ValidationError (model clean, constraints, shared rules) as a DRF 400."""
    detail = as_serializer_error(error)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return exceptions.ValidationError(detail)


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        exc = drf_validation_error(exc)
    elif isinstance(exc, ProtectedError | RestrictedError):
        used_by = sorted({type(obj)._meta.verbose_name for obj in exc.args[1]})
        exc = Conflict(
            "This object is still in use and cannot be deleted"
            + (f" (used by: {', '.join(used_by)})." if used_by else ".")
        )
    if isinstance(exc, exceptions.ValidationError):
        detail = about_records_only(exc)
        if detail is not None:
            request = context.get("request")
            reading = request is not None and request.method in ("GET", "HEAD")
            exc = Absent(detail) if reading else ReferenceConflict(detail)
    return drf_exception_handler(exc, context)
