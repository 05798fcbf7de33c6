"""Request hygiene outside the views: a body-size ceiling, unsafe cross-site writes refused,
no cookies, and JSON for Django's own errors."""

from __future__ import annotations

from django.conf import settings

from .errors import django_error, json_error

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestSizeLimitMiddleware:
    """Refuse a declared body over the limit before a byte of it is read (413), and a body
    without a declared length (411)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not request.META.get("CONTENT_LENGTH"):
            # Django reads a body by its Content-Length: without one it would read nothing and
            # answer as if none was sent. (nginx in front buffers a chunked body and sends it
            # with its length; this is gunicorn alone.)
            return json_error(411, "length_required", "Send the body with a Content-Length, not chunked.")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error(400, "invalid_content_length", "Content-Length must be an integer.")
        if length > settings.MAX_REQUEST_BYTES:
            return json_error(413, "too_large", f"Request body exceeds {settings.MAX_REQUEST_BYTES} bytes.")
        return self.get_response(request)


class CrossSiteWriteMiddleware:
    """A browser says where a request comes from (`Origin`); a write from a page whose origin
    is not one of the app's (CORS_ALLOWED_ORIGINS) is refused, even where no CORS preflight
    ran (a multipart form needs none). Scripts send no Origin and are unaffected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = request.headers.get("Origin")
        if request.method in UNSAFE_METHODS and origin is not None and origin not in self.allowed(request):
            return json_error(403, "cross_site_refused", f"Writes from {origin} are not accepted.")
        return self.get_response(request)

    @staticmethod
    def allowed(request) -> set[str]:
        return {*settings.CORS_ALLOWED_ORIGINS, f"{request.scheme}://{request.get_host()}"}


# The docs pages (Swagger UI, ReDoc): scripts and styles from this origin only (their start
# is a file, not an inline script), ReDoc's search worker from a blob, images inline; never in
# a frame. Styles may be inline: both libraries style their pages from JavaScript.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"  # JSON, CSV, scripts: nothing to run or frame


class SecurityHeadersMiddleware:
    """No page of the API's may be framed by another site (clickjacking), and each says what it
    may load: the docs their own assets, anything else nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        html = response.get("Content-Type", "").startswith("text/html")
        response.headers.setdefault("Content-Security-Policy", DOCS_POLICY if html else DATA_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


class ReleaseHeldMiddleware:
    """What a request held until it was answered (a big-decode slot taken while parsing its
    body: parsers.hold_slot_for_the_request) is given back, whatever the answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            held = getattr(request, "held_until_answered", None)
            if held is not None:
                held.close()


class NoCookiesMiddleware:
    """The API keeps no session and signs nothing a client holds: no response sets a cookie
    (the docs pages' templates would otherwise set Django's csrftoken)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.cookies.clear()
        return response


class JsonErrorMiddleware:
    """Django answers some errors itself (unknown URL, bad Host); make sure they are JSON too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and "json" not in content_type:
            return django_error(response.status_code, response.reason_phrase)
        return response
