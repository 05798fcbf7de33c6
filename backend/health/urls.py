from django.urls import path

from . import apis

urlpatterns = [
    path("health/", apis.HealthApi.as_view(), name="health"),
    path("ready/", apis.ReadinessApi.as_view(), name="ready"),
]
