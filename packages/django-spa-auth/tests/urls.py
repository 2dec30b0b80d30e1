"""The README's URLs, plus ``me/``: a view behind the default ``IsAuthenticated``."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response


@api_view(["GET"])
def me(request: Request) -> Response:
    return Response({"pk": str(request.user.pk)})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/auth/", include("spa_auth.urls")),
    path("me/", me),
]
