"""App config: registers the system checks, the schema extension, the signal receivers
and the account and multi-factor tasks; puts the second factor in front of the admin."""

from collections.abc import Callable

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.signals import request_finished
from django.db.models.signals import post_save, pre_save
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class SpaAuthConfig(AppConfig):
    name = "spa_auth"
    verbose_name = _("Authentication sessions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, schema  # noqa: F401  (they register themselves)

        # Imported for their tasks (``tasks.handles``) and rules (``accounts``).
        from .internal.accounts import handlers, login_codes, tasks  # noqa: F401
        from .internal.devices import notices  # noqa: F401  (its mail task)
        from .internal.devices import receivers as devices
        from .internal.mfa import enrolment  # noqa: F401
        from .internal.mfa import services as mfa  # noqa: F401
        from .internal.providers import links  # noqa: F401  (its mail task)
        from .internal.sessions import receivers

        user_login_failed.connect(receivers.record_login_failure, dispatch_uid="spa_auth.failed")
        user_logged_in.connect(receivers.link_django_session, dispatch_uid="spa_auth.logged_in")
        user_logged_in.connect(devices.see_device, dispatch_uid="spa_auth.device")
        user_logged_out.connect(receivers.end_linked_session, dispatch_uid="spa_auth.logged_out")
        if apps.is_installed("django.contrib.admin"):
            from django.contrib.admin import forms as admin_forms
            from django.contrib.admin import site

            from .forms import MfaAdminAuthenticationForm, ThrottledAdminPasswordChangeForm

            # AdminSite.password_change imports this name at each call and offers no hook.
            admin_forms.AdminPasswordChangeForm = ThrottledAdminPasswordChangeForm  # type: ignore[misc]
            # The admin's login asks for the second factor, and its pages want one under
            # the staff policy (a project's own site may set its own form and template;
            # the backend refuses a password alone anyway).
            if site.login_form is None:
                site.login_form = MfaAdminAuthenticationForm
                site.login_template = "spa_auth/admin/login.html"
                checked = _without_missing_factor(site.has_permission)
                site.has_permission = checked  # type: ignore[method-assign,assignment]
        request_finished.connect(tasks.after_request, dispatch_uid="spa_auth.tasks")
        user_model = settings.AUTH_USER_MODEL
        pre_save.connect(receivers.note_rehash, sender=user_model, dispatch_uid="spa_auth.pre")
        post_save.connect(
            receivers.follow_user_change, sender=user_model, dispatch_uid="spa_auth.post"
        )


def _without_missing_factor(
    has_permission: Callable[[HttpRequest], bool],
) -> Callable[[HttpRequest], bool]:
    """The admin site's ``has_permission``, refusing too, under ``MFA_POLICY =
    "required_for_staff"``, a staff account without a factor: its login form refuses one,
    and this refuses a session opened through another door (a project's own ``LoginView``,
    ``force_login``). Refused, the admin sends the browser to its login page."""
    from .internal.mfa import services as mfa

    def checked(request: HttpRequest) -> bool:
        return has_permission(request) and not mfa.staff_needs_mfa(request.user)

    return checked
