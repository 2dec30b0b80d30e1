"""Routes of the auth app, mounted under ``api/v1/auth/`` by the project."""

from django.urls import path

from .internal.api import (
    account_views,
    code_views,
    config_views,
    device_views,
    enrolment_views,
    mfa_views,
    passkey_views,
    provider_views,
)
from .internal.api import session_views as views

app_name = "spa_auth"

urlpatterns = [
    path("obtain_token/", views.ObtainTokenView.as_view(), name="obtain_token"),
    path(
        "login/code/request/",
        code_views.LoginCodeRequestView.as_view(),
        name="login_code_request",
    ),
    path("login/code/", code_views.LoginWithCodeView.as_view(), name="login_code"),
    path("refresh_token/", views.RefreshTokenView.as_view(), name="refresh_token"),
    path(
        "refresh_token/present/", views.RefreshCookieView.as_view(), name="refresh_cookie_present"
    ),
    path("verify_token/", views.VerifyTokenView.as_view(), name="verify_token"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout_all/", views.LogoutAllView.as_view(), name="logout_all"),
    path("sessions/", views.SessionListView.as_view(), name="sessions"),
    path("sessions/<uuid:session_id>/", views.SessionDetailView.as_view(), name="session"),
    path("devices/", device_views.DeviceListView.as_view(), name="devices"),
    path("devices/<uuid:device_id>/", device_views.DeviceDetailView.as_view(), name="device"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("register/", account_views.RegisterView.as_view(), name="register"),
    path("email/verify/", account_views.VerifyEmailView.as_view(), name="email_verify"),
    path(
        "email/verify/resend/",
        account_views.ResendVerificationView.as_view(),
        name="email_verify_resend",
    ),
    path("password/reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/confirm/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("email/change/", account_views.EmailChangeView.as_view(), name="email_change"),
    path(
        "email/change/confirm/",
        account_views.EmailChangeConfirmView.as_view(),
        name="email_change_confirm",
    ),
    path("account/", account_views.AccountView.as_view(), name="account"),
    path("mfa/", mfa_views.MfaOverviewView.as_view(), name="mfa"),
    path("mfa/authenticate/", mfa_views.MfaAuthenticateView.as_view(), name="mfa_authenticate"),
    path("mfa/enrolment/", enrolment_views.EnrolmentView.as_view(), name="mfa_enrolment"),
    path(
        "mfa/enrolment/confirm/",
        enrolment_views.EnrolmentConfirmView.as_view(),
        name="mfa_enrolment_confirm",
    ),
    path("mfa/totp/", mfa_views.TotpView.as_view(), name="totp"),
    path("mfa/totp/setup/", mfa_views.TotpSetupView.as_view(), name="totp_setup"),
    path("mfa/totp/confirm/", mfa_views.TotpConfirmView.as_view(), name="totp_confirm"),
    path("mfa/recovery_codes/", mfa_views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path(
        "mfa/webauthn/register/options/",
        passkey_views.RegisterOptionsView.as_view(),
        name="passkey_register_options",
    ),
    path("mfa/webauthn/register/", passkey_views.RegisterView.as_view(), name="passkey_register"),
    path(
        "mfa/webauthn/authenticate/options/",
        passkey_views.SecondFactorOptionsView.as_view(),
        name="passkey_mfa_options",
    ),
    path(
        "mfa/webauthn/authenticate/",
        passkey_views.SecondFactorView.as_view(),
        name="passkey_mfa",
    ),
    path(
        "mfa/webauthn/<uuid:passkey_id>/",
        passkey_views.PasskeyDetailView.as_view(),
        name="passkey",
    ),
    path(
        "passkey/login/options/",
        passkey_views.LoginOptionsView.as_view(),
        name="passkey_login_options",
    ),
    path("passkey/login/", passkey_views.LoginView.as_view(), name="passkey_login"),
    path("reauthenticate/", mfa_views.ReauthenticateView.as_view(), name="reauthenticate"),
    path(
        "reauthenticate/options/",
        passkey_views.ReauthenticateOptionsView.as_view(),
        name="reauthenticate_options",
    ),
    path("providers/", provider_views.ProviderListView.as_view(), name="providers"),
    path("providers/pending/", provider_views.PendingLoginView.as_view(), name="provider_pending"),
    path(
        "providers/identities/",
        provider_views.IdentityListView.as_view(),
        name="provider_identities",
    ),
    path(
        "providers/identities/<uuid:identity_id>/",
        provider_views.IdentityDetailView.as_view(),
        name="provider_identity",
    ),
    path(
        "providers/<slug:provider_id>/login/",
        provider_views.ProviderLoginView.as_view(),
        name="provider_login",
    ),
    path(
        "providers/<slug:provider_id>/callback/",
        provider_views.ProviderCallbackView.as_view(),
        name="provider_callback",
    ),
    path(
        "providers/<slug:provider_id>/connect/",
        provider_views.ConnectView.as_view(),
        name="provider_connect",
    ),
    path(
        "providers/<slug:provider_id>/reauthenticate/",
        provider_views.ReauthenticateView.as_view(),
        name="provider_reauthenticate",
    ),
    path("config/", config_views.ConfigView.as_view(), name="config"),
    path("csrf/", views.CsrfView.as_view(), name="csrf"),
    path("jwks/", views.JwksView.as_view(), name="jwks"),
]
