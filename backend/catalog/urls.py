from django.urls import path

from . import apis

urlpatterns = [
    path("display-images/", apis.DisplayImagesApi.as_view(), name="display-images"),
    path("model-info/", apis.ModelInfoApi.as_view(), name="model-info"),
]
