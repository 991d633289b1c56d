"""Refuse oversized or malformed API input before a view runs, with the API's JSON error shape.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE and DATA_UPLOAD_MAX_NUMBER_FIELDS while a body or query
string is parsed; under DRF that happens inside the view, where the errors surface as a 500. Parsing
here first turns them into a 413/400. A NUL byte in the path would reach PostgreSQL (which refuses it
with an error) through a slug lookup; no object has such a name, so it is a 404.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError

from testpress.api.exceptions import json_not_found

NUL_MESSAGE = "Null characters are not allowed."


class ApiInputLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refusal(self, request):
        if "\x00" in request.path_info:
            return json_not_found(request)
        try:
            query = request.GET
            # Read (and so size-check) the body now; DRF parses the kept copy later.
            request.body  # noqa: B018
            if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                request.POST  # noqa: B018
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return JsonResponse(
                {"detail": f"Request body too large: the limit is {limit} bytes."}, status=413
            )
        except (TooManyFieldsSent, TooManyFilesSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            return JsonResponse({"detail": f"Too many parameters: the limit is {limit}."}, status=400)
        except MultiPartParserError as error:
            return JsonResponse({"detail": f"Multipart form parse error - {error}"}, status=400)
        # Filters already refuse NUL in the values they declare; this covers every other parameter too.
        bad = sorted(
            {key for key, values in query.lists() if "\x00" in key or any("\x00" in v for v in values)}
        )
        if bad:
            return JsonResponse({key: [NUL_MESSAGE] for key in bad}, status=400)
        return None
