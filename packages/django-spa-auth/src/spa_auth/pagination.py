"""Limit/offset pagination whose parameters cannot reach the database out of range.

DRF's ``LimitOffsetPagination`` passes any ``?limit=`` and ``?offset=`` through, and a
20-digit number overflows the database's integer (a 500, or a false "unavailable").
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_OFFSET = 2**31 - 1  # fits every database's integer; no real list is longer


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit=`` capped at ``max_limit`` (100), ``?offset=`` at 2**31 - 1."""

    max_limit = 100

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
