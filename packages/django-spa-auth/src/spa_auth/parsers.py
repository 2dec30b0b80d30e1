"""A JSON parser that turns every malformed or oversized body into a clean 4xx.

DRF's JSONParser lets ``RecursionError`` (deeply nested JSON) escape as a 500, and
Django answers an oversized body with an HTML 400; here they are JSON 400 and 413.
JSON is UTF-8 (RFC 8259 §8.1): any other ``charset`` is a 415, because Python's codec
registry also holds bytes-to-bytes codecs (``bz2``, ``zlib``, ``base64``) that would turn
a small body into a huge one behind the size limit.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


class UnsupportedCharset(exceptions.UnsupportedMediaType):
    default_detail = _("JSON bodies must be UTF-8.")
    default_code = "unsupported_media_type"


def is_utf8(encoding: str | None) -> bool:
    """True for UTF-8 under any of its names; False for every other or unknown codec."""
    if not encoding:
        return True
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


class StrictJSONParser(BaseParser):
    """Not a JSONParser subclass on purpose: DRF reads such bodies whole, before any limit."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        if not is_utf8(encoding):
            raise UnsupportedCharset(media_type or self.media_type)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and declared and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge()
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from exc
