"""The project's routes plus the comparison endpoints under /api/v1/bench/.

Under the same prefix as /api/v1/user/, every variant passes the same middleware work
(CORS answers /api/ paths only) and resolves its route as deep, so what differs between
them is authentication only.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import include, path
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import (
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView
from spa_auth.serializers import user_payload

USER = {
    "id": 1,
    "username": "alice",
    "email": "alice@example.com",
    "first_name": "",
    "last_name": "",
    "is_staff": False,
}


class Baseline(APIView):
    """DRF with AllowAny and no authentication, answering the same payload."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    user = get_user_model()(**USER)

    def get(self, request: Request) -> Response:
        return Response(user_payload(self.user))


class SimpleJwtUser(APIView):
    """The same view as /api/v1/user/, authenticated by simplejwt instead."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(user_payload(request.user))


class SimpleJwtStatelessUser(APIView):
    authentication_classes = [JWTStatelessUserAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({**USER, "id": request.user.id})


variants = [
    path("baseline/user/", Baseline.as_view()),
    path("simplejwt/user/", SimpleJwtUser.as_view()),
    path("simplejwt-stateless/user/", SimpleJwtStatelessUser.as_view()),
    path(
        "simplejwt/token/",
        TokenObtainPairView.as_view(permission_classes=[permissions.AllowAny]),
    ),
    path(
        "simplejwt/refresh/",
        TokenRefreshView.as_view(permission_classes=[permissions.AllowAny]),
    ),
]

# As deep as /api/v1/user/ (the project's urls, then api/v1/, then the view).
urlpatterns = [
    path("", include([path("api/v1/bench/", include(variants))])),
    path("", include("config.urls")),
]
