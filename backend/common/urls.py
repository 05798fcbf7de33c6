"""The API's schema and its two documentation pages (Swagger UI, ReDoc)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

READ_ONLY = ["get", "head"]  # the docs pages: an OPTIONS would render a template they do not have

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(http_method_names=READ_ONLY), name="schema"),
    # The split view serves Swagger UI's start as a script of its own (?script): no inline script,
    # so the docs' Content-Security-Policy can forbid them.
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", http_method_names=READ_ONLY), name="swagger-ui"
    ),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", http_method_names=READ_ONLY), name="redoc"),
]
