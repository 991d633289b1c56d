"""One JSON shape for every error the API returns, whatever raised it.

The domain's refusals (testpress/errors.py) get their HTTP status here, and nowhere else.
"""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from testpress import errors

logger = logging.getLogger("testpress.api")


class Conflict(exceptions.APIException):
    """The request is valid but the resource's state forbids it (an ended attempt, say)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


# Most specific first: a domain error's status is that of the first kind it is.
DOMAIN_STATUSES = [
    (errors.Invalid, exceptions.ValidationError),
    (errors.NotFound, exceptions.NotFound),
    (errors.Forbidden, exceptions.PermissionDenied),
    (errors.Conflict, Conflict),
]


def from_domain_error(exc: errors.DomainError) -> exceptions.APIException:
    """The API's exception for a domain refusal: its status, its message, its code and extra keys.

    error_code is printed when it says more than the status: a bare 404 reads as DRF's own 404.
    """
    api_class = next((api for domain, api in DOMAIN_STATUSES if isinstance(exc, domain)), None)
    if api_class is None:
        api_class = exceptions.ValidationError
    if isinstance(exc, errors.Invalid):
        api_exc = api_class(exc.fields, code=exc.code)
    else:
        api_exc = api_class(exc.message, code=exc.code)
    if exc.code != api_class.default_code:
        api_exc.error_code = exc.code
    api_exc.extra = exc.extra
    return api_exc


def api_exception_handler(exc, context):
    if isinstance(exc, errors.DomainError):
        exc = from_domain_error(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        # Anything else is our bug: log it with its traceback, answer JSON, undo the request's writes.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response({"detail": "A server error occurred."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    # Unlike DRF's own handler, a refusal does not roll the request back: services are atomic on
    # their own, and some commit on purpose before refusing (an overdue attempt is completed, then
    # the late answer gets its 409).
    response = Response(
        exc.detail if isinstance(exc.detail, list | dict) else {"detail": exc.detail},
        status=exc.status_code,
        headers=_headers(exc),
    )

    code = getattr(exc, "error_code", None)
    if code and isinstance(response.data, dict):
        response.data["error_code"] = code
    extra = getattr(exc, "extra", None)
    if extra and isinstance(response.data, dict):
        response.data.update(extra)
    return response


def _headers(exc: exceptions.APIException) -> dict:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    return headers


def _validation_error_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


# Exempt: a PUT or POST to an unknown API path is a 404, not Django's HTML page about a missing CSRF cookie.
@csrf_exempt
def json_not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def json_server_error(request):
    return JsonResponse({"detail": "A server error occurred."}, status=500)


def json_bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def json_permission_denied(request, exception=None):
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
