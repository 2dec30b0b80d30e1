"""App config: registers the system checks."""

from django.apps import AppConfig


class SpaAuthConfig(AppConfig):
    name = "spa_auth"
    verbose_name = "Authentication sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, schema  # noqa: F401  (registers the checks and the schema extension)
