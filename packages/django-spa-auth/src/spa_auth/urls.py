"""Routes of the auth app, mounted under ``api/v1/auth/`` by the project."""

from django.urls import path

from .internal import views

app_name = "spa_auth"

urlpatterns = [
    path("obtain_token/", views.ObtainTokenView.as_view(), name="obtain_token"),
    path("refresh_token/", views.RefreshTokenView.as_view(), name="refresh_token"),
    path("verify_token/", views.VerifyTokenView.as_view(), name="verify_token"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout_all/", views.LogoutAllView.as_view(), name="logout_all"),
    path("sessions/", views.SessionListView.as_view(), name="sessions"),
    path("sessions/<uuid:session_id>/", views.SessionDetailView.as_view(), name="session"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("csrf/", views.CsrfView.as_view(), name="csrf"),
    path("jwks/", views.JwksView.as_view(), name="jwks"),
]
