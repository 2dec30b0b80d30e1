"""The signed-in user's known devices: the list, and forgetting one.

Forgetting needs no step-up: it can only make the next sign-in from that browser mail a
notice, never hide one, so a copied access token gains nothing by it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ...models import Device
from ...schema import ERROR, NO_CONTENT
from ...serializers import MinuteField
from .. import clock
from ..devices import cookie, labels, services
from .base import AuthAPIView, client_of


class DeviceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    browser = serializers.CharField(help_text='"Firefox 128"; empty when the browser is unknown')
    system = serializers.CharField(help_text='"Ubuntu"; empty when the system is unknown')
    first_seen = MinuteField(source="created_at")
    last_seen = MinuteField(source="last_seen_at")
    current = serializers.BooleanField()

    def to_representation(self, device: Device) -> dict[str, Any]:
        # What the user agent says, read now (never at sign-in), and whether it is this one.
        device.__dict__.update(
            labels.parse(device.user_agent),
            current=services.is_current(device, self.context.get("device")),
        )
        return dict(super().to_representation(device))


class DeviceListView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: DeviceSerializer(many=True), 401: ERROR},
        summary="The browsers this account signed in from (``current``: the calling one)",
    )
    def get(self, request: Request) -> Response:
        devices = services.known_devices(request.user)
        context = {"device": cookie.read(request._request)}
        return Response(DeviceSerializer(devices, many=True, context=context).data)


class DeviceDetailView(AuthAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("device_id", str, OpenApiParameter.PATH)],
        responses={204: NO_CONTENT, 401: ERROR, 404: ERROR},
        summary="Forget a device: its next sign-in mails a notice again",
    )
    def delete(self, request: Request, device_id: Any) -> Response:
        if not services.forget(request.user, device_id, ip=client_of(request).ip, now=clock.now()):
            raise exceptions.NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)
