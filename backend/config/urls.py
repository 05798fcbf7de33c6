from django.urls import include, path
from django.views.generic import RedirectView

from backend.api.metrics import metrics_view

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    # Browsers ask for it on every API page they open.
    path("favicon.ico", RedirectView.as_view(url="/api/static/api/favicon.svg", permanent=True)),
    # Outside the API's schema on purpose: an operator's endpoint, off unless METRICS_TOKEN is set.
    path("api/metrics/", metrics_view, name="metrics"),
    path("api/", include("backend.api.urls")),
]
handler400 = "backend.api.errors.bad_request"
handler404 = "backend.api.errors.not_found"
handler500 = "backend.api.errors.server_error"
