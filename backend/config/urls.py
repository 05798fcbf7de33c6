from django.urls import include, path
from django.views.generic import RedirectView

from backend.common.metrics import metrics_view

# Each domain serves its own paths under /api/; common serves the schema and the docs.
DOMAINS = ("predictions", "reading", "catalog", "feedback", "health", "common")

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    # Browsers ask for it on every API page they open.
    path("favicon.ico", RedirectView.as_view(url="/api/static/api/favicon.svg", permanent=True)),
    # Outside the API's schema on purpose: an operator's endpoint, off unless METRICS_TOKEN is set.
    path("api/metrics/", metrics_view, name="metrics"),
    *(path("api/", include(f"backend.{domain}.urls")) for domain in DOMAINS),
]
handler400 = "backend.common.errors.bad_request"
handler404 = "backend.common.errors.not_found"
handler500 = "backend.common.errors.server_error"
