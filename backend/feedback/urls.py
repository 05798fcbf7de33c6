from django.urls import path

from . import apis

urlpatterns = [
    path("feedback/", apis.FeedbackApi.as_view(), name="feedback"),
    path("feedback/<int:pk>/", apis.FeedbackDetailApi.as_view(), name="feedback-detail"),
    path("feedback/export/", apis.FeedbackExportApi.as_view(), name="feedback-export"),
]
