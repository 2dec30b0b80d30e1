"""Project routes: the API, the admin, and the single-page app for everything else."""

from api import views
from django.contrib import admin
from django.urls import include, path, re_path

urlpatterns = [
    path("api/v1/", include("api.urls")),
    re_path(r"^api/", views.api_not_found),
    path("admin/", admin.site.urls),
    path("robots.txt", views.robots_txt),
    # Client-side routes get index.html; never /api/, /admin/ or /static/.
    re_path(r"^(?!api/|admin/|static/).*$", views.spa_index),
]

handler400 = "api.views.bad_request"
handler403 = "api.views.permission_denied"
handler404 = "api.views.page_not_found"
handler500 = "api.views.server_error"
