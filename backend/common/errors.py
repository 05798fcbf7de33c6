"""Every error the API can answer, and how each becomes JSON `{"code", "detail"[, "errors"]}`
with the right status: the domain errors of model_core and the services, DRF's own, and
Django's (unknown URL, bad request, server error), which all go through `json_error`."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from model_core.serving import PreprocessError

from .metrics import REFUSED

log = logging.getLogger("backend.api")
DATABASE_RETRY_SECONDS = 5


# --- Domain errors (raised by the registry and the services) ---------------------------


class ModelNotReady(RuntimeError):
    pass


class UnknownModel(ValueError):
    pass


class InvalidLabel(ValueError):
    def __init__(self, message: str, field: str = "true_label"):
        super().__init__(message)
        self.field = field


class InvalidAlphabet(ValueError):
    """An alphabet not read (yet), or one the named model cannot read."""


class ModelReadsLines(ValueError):
    """A line network named where one character is read (it reads lines: predict-text)."""


class InvalidConstraint(ValueError):
    """A constraint (allowed, template, words) asked of a model whose reader cannot apply it."""


class BatchTooCostly(ValueError):
    """More images in one batch than the model's cost allows (services.batch_limit)."""


class IdempotencyKeyReused(ValueError):
    """An Idempotency-Key already used for a different correction (IETF draft: 422)."""


class StorageBudget(RuntimeError):
    """Storing this correction would exceed a budget: the sender's (`scope` "client") or the
    store's ("store"). `retry_after`: seconds until room is likely, where known."""

    def __init__(self, message: str, scope: str, retry_after: int | None = None):
        super().__init__(message)
        self.scope, self.retry_after = scope, retry_after


# --- API errors ----------------------------------------------------------------------------


class EmptyImage(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "empty_image"
    default_detail = "Nothing drawn: the image has no ink."


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "Request or image too large."


class UnsupportedImage(exceptions.APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_image_type"
    default_detail = "Unsupported image type."


class LabelNotOfModel(exceptions.ValidationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used for a different correction."


class ReadingDisabled(exceptions.PermissionDenied):
    default_code = "reading_disabled"
    default_detail = (
        "Reading corrections is switched off on this server: start it with FEEDBACK_READ_TOKEN set (make run "
        "makes one for your machine, in var/run/feedback-read-token), then send that token as a bearer token."
    )


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "not_ready"
    default_detail = "The model is not loaded yet."


# model_core's image errors by their code; any other (a file that does not decode) is a 400.
_PREPROCESS_ERRORS = {
    "empty_image": EmptyImage,
    "image_too_large": PayloadTooLarge,
    "too_many_characters": PayloadTooLarge,
    "too_costly": PayloadTooLarge,
    "unsupported_image_type": UnsupportedImage,
}


def as_api_exception(exc: Exception) -> Exception:
    """Domain errors from model_core and the services → the API exception that reports them."""
    if isinstance(exc, PreprocessError):
        if exc.code == "cancelled":  # nobody reads this answer: nginx has answered, or the client left
            return ServiceUnavailable(str(exc), code="cancelled")
        if exc.code == "busy":
            busy = ServiceUnavailable(str(exc), code=exc.code)
            busy.wait = 1  # DRF's handler turns `wait` into Retry-After
            return busy
        if exc.code in _PREPROCESS_ERRORS:
            return _PREPROCESS_ERRORS[exc.code](str(exc), code=exc.code)
        return exceptions.ValidationError({"image": [str(exc)]}, code=exc.code)
    if isinstance(exc, UnknownModel):
        return exceptions.ValidationError({"model": [str(exc)]}, code="unknown_model")
    if isinstance(exc, InvalidLabel):  # well-formed, but not a label of the model named
        return LabelNotOfModel({exc.field: [str(exc)]}, code="invalid_label")
    if isinstance(exc, InvalidAlphabet):  # well-formed, but not for the model named (as a label not of it)
        return LabelNotOfModel({"alphabet": [str(exc)]}, code="invalid_alphabet")
    if isinstance(exc, ModelReadsLines):  # a real model, but not one that reads one character
        return LabelNotOfModel({"model": [str(exc)]}, code="invalid_model")
    if isinstance(exc, InvalidConstraint):  # well-formed, but not for the model named
        return LabelNotOfModel({"model": [str(exc)]}, code="invalid_constraint")
    if isinstance(exc, BatchTooCostly):
        return PayloadTooLarge(str(exc), code="batch_too_costly")
    if isinstance(exc, IdempotencyKeyReused):
        return KeyReused(str(exc))
    if isinstance(exc, StorageBudget):
        return FeedbackQuota(wait=exc.retry_after, detail=str(exc), code=f"feedback_{exc.scope}_budget")
    if isinstance(exc, ModelNotReady):
        return ServiceUnavailable(str(exc))
    if isinstance(exc, OperationalError | InterfaceError):  # the database is down or unreachable
        log.warning("database unavailable: %s", exc)
        down = ServiceUnavailable(
            "The corrections' database is unavailable; try again shortly.", code="database_unavailable"
        )
        down.wait = DATABASE_RETRY_SECONDS
        return down
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge("Request body too large.")
    return exc


def _first_code(codes) -> str:
    while isinstance(codes, dict | list) and codes:
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return codes if isinstance(codes, str) else "error"


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        field, value = next(iter(detail.items()))
        message = _first_message(value)
        return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def error_body(code: str, detail: str, errors: dict | None = None) -> dict:
    """The one shape of every error the API answers."""
    body = {"code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def exception_handler(exc, context):
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's handler500 answers (in JSON, see server_error)
    code = _first_code(exc.get_codes())
    field_errors = exc.detail if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict) else None
    if field_errors is not None and code in ("invalid", "required", "null", "blank"):
        code = "invalid_input"
    response.data = error_body(code, _first_message(exc.detail), field_errors)
    REFUSED.labels(code=code).inc()
    log.info("%s %s → %s %s", context["request"].method, context["request"].path, response.status_code, code)
    return response


def json_error(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(code, detail), status=status_code)


# Django's own errors, in the same shape, by one function: its error views (config/urls.py
# names them) and JsonErrorMiddleware (what else Django answers outside DRF) both use it.
DJANGO_ERRORS = {
    400: ("bad_request", "Bad request."),
    404: ("not_found", "No such endpoint."),
    500: ("server_error", "Internal server error."),
}


def django_error(status_code: int, reason: str = "") -> JsonResponse:
    """Django's error `status_code` as the API's JSON; `reason` names one not in DJANGO_ERRORS."""
    reason = reason or "Error"
    code, detail = DJANGO_ERRORS.get(status_code, (reason.lower().replace(" ", "_"), reason + "."))
    return json_error(status_code, code, detail)


def server_error(request, *args, **kwargs):
    return django_error(500)


def bad_request(request, exception=None, *args, **kwargs):
    return django_error(400)


def not_found(request, exception=None, *args, **kwargs):
    return django_error(404)


class PriceBudgetSpent(exceptions.Throttled):
    """A client's budget of work per minute (PRICE_BUDGET_PER_MINUTE units) is spent."""

    default_code = "price_budget"


class FeedbackQuota(exceptions.Throttled):
    """A client's (or the whole store's) budget for stored corrections is spent."""

    default_code = "feedback_quota"
