"""Request hygiene outside the views: a body-size ceiling, and JSON for Django's own errors."""

from __future__ import annotations

from django.conf import settings

from .errors import json_error


class RequestSizeLimitMiddleware:
    """Refuse a declared body over the limit before a byte of it is read (413)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error(400, "invalid_content_length", "Content-Length must be an integer.")
        if length > settings.MAX_REQUEST_BYTES:
            return json_error(413, "too_large", f"Request body exceeds {settings.MAX_REQUEST_BYTES} bytes.")
        return self.get_response(request)


class JsonErrorMiddleware:
    """Django answers some errors itself (unknown URL, bad Host); make sure they are JSON too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and "json" not in content_type:
            reason = response.reason_phrase or "Error"
            return json_error(response.status_code, reason.lower().replace(" ", "_"), reason + ".")
        return response
