from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "backend.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backend import runtime

        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)

        runtime.install()  # big decodes share the server's slots, and give their memory back
