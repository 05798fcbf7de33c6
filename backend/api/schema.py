"""OpenAPI description of our bearer-token scheme (drf-spectacular registers extensions on import)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class FeedbackTokenScheme(OpenApiAuthenticationExtension):
    target_class = "backend.api.auth.FeedbackTokenAuthentication"
    name = "feedbackToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The FEEDBACK_READ_TOKEN configured on the server; needed to read stored drawings.",
        }
