from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("api/", include("backend.api.urls")),
]
handler400 = "backend.api.errors.bad_request"
handler404 = "backend.api.errors.not_found"
handler500 = "backend.api.errors.server_error"
