from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse

from api.auth import api_error

MAX_BODY_BYTES = 20 * 1024 * 1024


def json_object(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    """The request's body as a JSON object, or the error response that explains why not."""
    if len(request.body) > MAX_BODY_BYTES:
        return api_error(413, "The body is too large.")
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return api_error(400, "The body is not valid JSON.")
    if not isinstance(payload, dict):
        return api_error(400, "The body must be a JSON object.")
    return payload
