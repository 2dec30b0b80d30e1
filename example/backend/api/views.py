"""The rest of ``/api/v1/``: the signed-in user, the user list, health, JSON fallbacks."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache as default_cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from spa_auth.permissions import IsStaff
from spa_auth.schema import ERROR
from spa_auth.serializers import CurrentUserSerializer, UserSerializer, serialize_user


class CurrentUserView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: CurrentUserSerializer, 401: ERROR})
    def get(self, request: Request) -> Response:
        """The signed-in user, and whether this session's password was found in breaches
        (read from the access token: no query)."""
        return Response(serialize_user(request.user, request.auth))


@extend_schema_view(
    get=extend_schema(responses={200: UserSerializer(many=True), 401: ERROR, 403: ERROR})
)
class UserListView(generics.ListAPIView):
    permission_classes = [IsStaff]
    serializer_class = UserSerializer

    def get_queryset(self) -> Any:
        return get_user_model().objects.order_by("pk")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _cache_ok() -> bool:
    try:
        default_cache.set("health:probe", 1, 5)
        return default_cache.get("health:probe") == 1
    except Exception:  # noqa: BLE001  (any backend failure means "down")
        return False


class HealthView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "Health",
            {
                "status": serializers.CharField(),
                "database": serializers.CharField(),
                "cache": serializers.CharField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        database, cache_up = _database_ok(), _cache_ok()
        body = {
            "status": "ok" if database else "unavailable",
            "database": "ok" if database else "down",
            "cache": "ok" if cache_up else "down",
        }
        return Response(body, status=200 if database else 503)


# Exempt: it changes nothing, and a POST to a mistyped path (``obtain_token`` without its
# slash) must learn "not found", not meet Django's CSRF check and its HTML page.
@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: JSON under ``/api/``, Django's own page elsewhere (the admin).
    The middleware has already logged the reason; the client gets the stable code."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "CSRF verification failed.", "code": "csrf_failed"}, status=403
        )
    return django_csrf_failure(request, reason=reason)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Internal server error.", "code": "server_error"}, status=500
        )
    return HttpResponse("Internal server error.", status=500, content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)
    return HttpResponse("Bad request.", status=400, content_type="text/plain")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Forbidden.", "code": "permission_denied"}, status=403)
    return HttpResponse("Forbidden.", status=403, content_type="text/plain")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return HttpResponse("Not found.", status=404, content_type="text/plain")


@cache
def _index_html(path: Path) -> bytes:
    return path.read_bytes()


# The API, the admin and the pages reached from mailed links (their keys travel in the
# fragment, but the pages themselves have nothing to index).
_ROBOTS = """User-agent: *
Disallow: /api/
Disallow: /admin/
Disallow: /verify-email
Disallow: /reset-password
Disallow: /confirm-email
Disallow: /enrol-factor
"""


def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_ROBOTS, content_type="text/plain; charset=utf-8")


@never_cache
def spa_index(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The built app's ``index.html`` for every client-side route."""
    index = Path(settings.FRONTEND_DIST) / "index.html"
    if not index.is_file():
        return HttpResponse(
            "The front end is not built: run `make run` (or `npm run build` in frontend/).",
            status=503,
            content_type="text/plain",
        )
    return HttpResponse(_index_html(index), content_type="text/html; charset=utf-8")
