from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import apis

READ_ONLY = ["get", "head"]  # the docs pages: an OPTIONS would render a template they do not have

urlpatterns = [
    path("predict-digit/", apis.PredictDigitApi.as_view(), name="predict-digit"),
    path("display-images/", apis.DisplayImagesApi.as_view(), name="display-images"),
    path("model-info/", apis.ModelInfoApi.as_view(), name="model-info"),
    path("feedback/", apis.FeedbackApi.as_view(), name="feedback"),
    path("feedback/<int:pk>/", apis.FeedbackDetailApi.as_view(), name="feedback-detail"),
    path("feedback/export/", apis.FeedbackExportApi.as_view(), name="feedback-export"),
    path("health/", apis.HealthApi.as_view(), name="health"),
    path("ready/", apis.ReadinessApi.as_view(), name="ready"),
    path("schema/", SpectacularAPIView.as_view(http_method_names=READ_ONLY), name="schema"),
    # The split view serves Swagger UI's start as a script of its own (?script): no inline script,
    # so the docs' Content-Security-Policy can forbid them.
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", http_method_names=READ_ONLY), name="swagger-ui"
    ),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", http_method_names=READ_ONLY), name="redoc"),
]
