from django.urls import path

from . import apis

urlpatterns = [
    path("predict-digit/", apis.PredictDigitApi.as_view(), name="predict-digit"),
]
