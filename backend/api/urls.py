from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("predict-digit/", views.PredictDigitView.as_view(), name="predict-digit"),
    path("display-images/", views.DisplayImagesView.as_view(), name="display-images"),
    path("model-info/", views.ModelInfoView.as_view(), name="model-info"),
    path("feedback/", views.FeedbackView.as_view(), name="feedback"),
    path("feedback/export/", views.FeedbackExportView.as_view(), name="feedback-export"),
    path("health/", views.HealthView.as_view(), name="health"),
    path("ready/", views.ReadinessView.as_view(), name="ready"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
