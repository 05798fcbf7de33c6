from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "backend.feedback"
    # The label the corrections were first stored under, when every endpoint lived in one app
    # called "api": their table (api_feedback) and their migrations' history keep it, so an
    # existing database needs no migration for the move (tests/test_migrations.py).
    label = "api"
    verbose_name = "corrections"
    default_auto_field = "django.db.models.BigAutoField"
