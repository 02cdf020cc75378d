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
    return drf_exception_handler(exc, context)
