from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import apis

urlpatterns = [
    path("predict-digit/", apis.PredictDigitApi.as_view(), name="predict-digit"),
    path("display-images/", apis.DisplayImagesApi.as_view(), name="display-images"),
    path("model-info/", apis.ModelInfoApi.as_view(), name="model-info"),
    path("feedback/", apis.FeedbackApi.as_view(), name="feedback"),
    path("feedback/export/", apis.FeedbackExportApi.as_view(), name="feedback-export"),
    path("health/", apis.HealthApi.as_view(), name="health"),
    path("ready/", apis.ReadinessApi.as_view(), name="ready"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
