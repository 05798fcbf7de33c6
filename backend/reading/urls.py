from django.urls import path

from . import apis

urlpatterns = [
    path("predict-text/", apis.PredictTextApi.as_view(), name="predict-text"),
]
