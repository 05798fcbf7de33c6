from django.http import JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView


def server_error(request, *args, **kwargs):
    return JsonResponse({"code": "server_error", "detail": "Internal server error."}, status=500)


def bad_request(request, exception=None, *args, **kwargs):
    return JsonResponse({"code": "bad_request", "detail": "Bad request."}, status=400)


def not_found(request, exception=None, *args, **kwargs):
    return JsonResponse({"code": "not_found", "detail": "No such endpoint."}, status=404)


urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("api/", include("backend.api.urls")),
]
handler400 = bad_request
handler404 = not_found
handler500 = server_error
