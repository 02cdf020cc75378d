"""OpenAPI: every status the API can answer is documented on every operation it applies to."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words.")


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Each invalid field or query parameter, with its messages; rules that "
    "concern several fields are under `non_field_errors`.",
    "additionalProperties": {},
}

SAFE_METHODS = ("GET", "HEAD")


class ParallaxAutoSchema(AutoSchema):
    def get_auth(self):
        """Reads are public: anonymous access (`{}`) is one of the alternatives, so clients
        generated from the schema do not send credentials for nothing."""
        auths = super().get_auth()
        if self.method.upper() in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        is_read = method in SAFE_METHODS
        has_object = "{" in self.path
        extra = {
            "400": (
                VALIDATION_ERROR_SCHEMA,
                "Invalid query parameter or body: the answer names each one."
                if not is_read
                else "Invalid query parameter: the answer names it.",
            ),
            "401": (ErrorSerializer, "The credentials sent (token or session) are not valid."),
        }
        if not is_read:
            extra["403"] = (
                ErrorSerializer,
                "Not allowed: anonymous callers only read, editors need the model permission, "
                "and only publishers move an entry in or out of “published”.",
            )
        if has_object or is_read:
            extra["404"] = (
                ErrorSerializer,
                "No such object visible to you (drafts are invisible to the public), an "
                "invalid page cursor, or a filter naming an actor, place, claimant or side that "
                "does not exist (the answer names the parameter too)."
                if is_read
                else "No such object visible to you (drafts are invisible to the public).",
            )
        if not is_read:
            extra["409"] = (
                VALIDATION_ERROR_SCHEMA,
                "The body refers to a record that does not exist (an entry, actor, place, side "
                "or source), or takes a slug another record holds: the answer names each field. "
                "Nothing was saved.",
            )
        if method in ("PUT", "PATCH", "DELETE") and has_object:
            extra["412"] = (
                ErrorSerializer,
                "The If-Match ETag is stale: someone changed this since. Nothing was saved; "
                "the ETag header is the current one.",
            )
        if method == "DELETE":
            extra["409"] = (ErrorSerializer, "Still used by other records: cannot be deleted.")
        if is_read and self.answers_conditionally():
            extra["304"] = (
                None,
                "Not modified: the ETag (If-None-Match) or Last-Modified (If-Modified-Since) "
                "you sent still matches.",
            )
        extra["429"] = (ErrorSerializer, "Too many requests from an anonymous caller; retry later.")
        for code, (body, description) in extra.items():
            if code in responses:
                continue
            if body is None:
                responses[code] = {"description": description}
                continue
            response = self._get_response_for_code(body, code, ["application/json"], direction)
            response["description"] = description
            responses[code] = response
        return dict(sorted(responses.items()))

    def answers_conditionally(self):
        from .views import ConditionalGetMixin  # noqa: PLC0415 (views import this module's kin)

        return isinstance(self.view, ConditionalGetMixin)


# Every text field and text parameter refuses the NUL character (PostgreSQL cannot store it),
# so the schema says so; generated clients and fuzzers then know it as invalid input.
NO_NUL = "^[^\\u0000]*$"


def _refuse_nul(schema):
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & schema.keys():
        schema["pattern"] = NO_NUL
    for key in ("items", "additionalProperties"):
        _refuse_nul(schema.get(key))
    for key in ("properties",):
        for value in (schema.get(key) or {}).values():
            _refuse_nul(value)
    for key in ("allOf", "anyOf", "oneOf"):
        for value in schema.get(key) or []:
            _refuse_nul(value)


def postprocess(result, generator, request, public):
    """Query parameters are optional filters in which an empty value means “no filter” (as a
    page's form sends them): `allowEmptyValue`. Text refuses NUL: a `pattern`."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
                _refuse_nul(parameter.get("schema"))
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _refuse_nul(component)
    return result
