"""OpenAPI description of our bearer-token scheme (drf-spectacular registers extensions on import)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class FeedbackTokenScheme(OpenApiAuthenticationExtension):
    target_class = "backend.common.auth.FeedbackTokenAuthentication"
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


# Request bodies that must carry exactly one (or at least one) of several fields: the
# serializers check it; the schema says it, so that generated clients and fuzzers know. Kept
# inside allOf: openapi-python-client (0.29) gives up on a model whose top level is a oneOf
# of `required` lists, and types the body as Any.
EXACTLY_ONE_OF = {
    "PredictJSONRequest": [["image", "pixels", "images"]],
    "PredictTextJSONRequest": [["image", "pixels", "images"]],
    "FeedbackJSONRequest": [["image", "pixels"], ["true_label", "true_text"]],
    "FeedbackUploadRequest": [["true_label", "true_text"]],
}
AT_LEAST_ONE_OF = {
    "PredictUploadRequest": [["image", "file"]],
    "PredictTextUploadRequest": [["image", "file"]],
    "FeedbackUploadRequest": [["image", "file"]],
}


def request_bodies_as_they_are_checked(result, generator, request, public):
    """A drf-spectacular postprocessing hook: which fields a body needs one of, and which
    bodies are required. A body of one content type is marked required; one that may come
    as JSON or as a multipart form is not, because openapi-python-client 0.29 writes such a
    required body as `... | Unset` without importing Unset, and the generated module fails to
    import (the API answers a missing body with a 400 either way)."""
    schemas = result.get("components", {}).get("schemas", {})
    for rule, table in (("oneOf", EXACTLY_ONE_OF), ("anyOf", AT_LEAST_ONE_OF)):
        for name, groups in table.items():
            if name in schemas:
                schemas[name].setdefault("allOf", []).extend(
                    {rule: [{"required": [field]} for field in fields]} for fields in groups
                )
    for path in result.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body is not None:
                body["required"] = True
            if isinstance(operation, dict):
                operation.setdefault("responses", {}).update(SERVER_LIMITS)
    return result


# What the HTTP server in front of Django answers, for any operation, before the API sees the
# request (gunicorn's and nginx's limits), in the API's error shape too.
SERVER_LIMITS = {
    status: {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for status, description in (
        ("414", "The request line (the URL) is too long for the server."),
        ("431", "The request's header fields are too large for the server."),
    )
}
