from django.apps import AppConfig


class CommonConfig(AppConfig):
    """What every domain shares (errors, parsers, middleware, throttling, auth, schema,
    metrics); an app for its static files (the docs' favicon and ReDoc's start) and its start-up."""

    name = "backend.common"
    label = "common"

    def ready(self):
        from backend import runtime

        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)

        runtime.install()  # big decodes share the server's slots, and give their memory back
