from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from api.auth import api_error


def json_object(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    """The request's body as a JSON object, or the error response that explains why not.
    The size limit is Django's DATA_UPLOAD_MAX_MEMORY_SIZE."""
    try:
        body = request.body
    except RequestDataTooBig:
        return api_error(413, "The body is too large.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return api_error(400, "The body is not valid JSON.")
    if not isinstance(payload, dict):
        return api_error(400, "The body must be a JSON object.")
    return payload
