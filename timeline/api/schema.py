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
        if has_object or (is_read and self._is_list_view()):
            extra["404"] = (
                ErrorSerializer,
                "No such object visible to you (drafts are invisible to the public), or an "
                "invalid page cursor.",
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
