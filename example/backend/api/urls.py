"""Routes under ``/api/v1/``."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

urlpatterns = [
    # The hottest route first: resolving it then tries one pattern, not the whole auth app.
    path("user/", views.CurrentUserView.as_view(), name="current_user"),
    path("auth/", include("spa_auth.urls")),
    path("users/", views.UserListView.as_view(), name="users"),
    path("health/", views.HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    re_path(r"^.*$", views.api_not_found),
]
