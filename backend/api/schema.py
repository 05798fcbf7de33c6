"""OpenAPI description of our bearer-token scheme (drf-spectacular registers extensions on import)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class FeedbackTokenScheme(OpenApiAuthenticationExtension):
    target_class = "backend.api.auth.FeedbackTokenAuthentication"
    name = "feedbackToken"

    def get_security_requirement(self, auto_schema):
        # Anyone may send a correction (ReadsNeedToken); reading, reviewing, deleting need the token.
        return [] if auto_schema.method == "POST" else {self.name: []}

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The FEEDBACK_READ_TOKEN configured on the server; needed to read, review or delete "
            "stored drawings.",
        }


# Request bodies that must carry exactly one of several fields (the serializers check it; the
# schema says it, so that generated clients and fuzzers know).
EXACTLY_ONE_OF = {
    "PredictJSONRequest": ["image", "pixels", "images"],
    "FeedbackJSONRequest": ["image", "pixels"],
}
AT_LEAST_ONE_OF = {"PredictUploadRequest": ["image", "file"], "FeedbackUploadRequest": ["image", "file"]}


def request_bodies_as_they_are_checked(result, generator, request, public):
    """A drf-spectacular postprocessing hook: which fields a body needs one of, and that the
    bodies the API needs are required (an optional body with two content types breaks
    generated clients)."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in EXACTLY_ONE_OF.items():
        if name in schemas:
            schemas[name]["oneOf"] = [{"required": [field]} for field in fields]
    for name, fields in AT_LEAST_ONE_OF.items():
        if name in schemas:
            schemas[name]["anyOf"] = [{"required": [field]} for field in fields]
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["requestBody"]["required"] = True
    return result
