"""The verbs of corrections: store, review, delete, expire. Keyword-only; they return the
stored entries, which the API's serializers shape. All image work happens in model_core."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from backend.common.errors import IdempotencyKeyReused, InvalidLabel, StorageBudget
from backend.common.registry import get_model, limits
from model_core.serving import correction_images, decode_base64

from .models import NOT_A_DIGIT, Feedback

log = logging.getLogger("backend.api")
PROCESSED_BYTES = 28 * 28  # the least a correction stores: the network's 28×28


def _check_budgets(client: str, size: int) -> None:
    """Refuse a correction that would take the sender over its daily storage budget, or the
    store over its total."""
    day_ago = timezone.now() - timedelta(days=1)
    used = Feedback.objects.filter(client=client, created__gte=day_ago).aggregate(total=Sum("stored_bytes"))["total"]
    if (used or 0) + size > settings.FEEDBACK_CLIENT_BYTES_PER_DAY:
        raise StorageBudget(
            f"this client has stored {used or 0} bytes of corrections in the last day; the budget is "
            f"{settings.FEEDBACK_CLIENT_BYTES_PER_DAY} bytes a day",
            "client",
            retry_after=3600,
        )
    total = Feedback.objects.aggregate(total=Sum("stored_bytes"))["total"] or 0
    if total + size > settings.FEEDBACK_MAX_TOTAL_BYTES:
        raise StorageBudget(
            f"the correction store is full ({total} of {settings.FEEDBACK_MAX_TOTAL_BYTES} bytes)", "store"
        )


def request_fingerprint(source: Any, **fields: str) -> str:
    """What makes two corrections the same request: their parsed fields and their image's
    bytes (decoded from base64 or read from an upload, so a retry's new multipart boundary or
    another base64 line-wrapping does not count), or their pixel values."""
    digest = hashlib.sha256()
    for name in sorted(fields):
        digest.update(f"{name}={fields[name]}\n".encode())
    if isinstance(source, bytes | bytearray | memoryview):
        digest.update(b"bytes:" + bytes(source))
    else:  # the pixels field's array
        digest.update(f"pixels:{source.shape}:{source.dtype}".encode() + source.tobytes())
    return digest.hexdigest()


def feedback_purge_expired() -> int:
    """Delete corrections older than the retention period (FEEDBACK_RETENTION_DAYS; 0 keeps all)."""
    if not settings.FEEDBACK_RETENTION_DAYS:
        return 0
    cutoff = timezone.now() - timedelta(days=settings.FEEDBACK_RETENTION_DAYS)
    return Feedback.objects.filter(created__lt=cutoff).delete()[0]


def reads(model, character: str) -> bool:
    """Whether a correction's text may hold this character for `model`: a digit model's a digit,
    a characters model's one of its labels (either case) or a hyphen or apostrophe inside a word."""
    if model.alphabet == "digits":
        return character.isdigit()
    return character in "-'" or model.canonical_label(character, ()) is not None


def feedback_create(
    *,
    source: Any,
    true_label: str = "",
    predicted_label: str = "",
    true_text: str = "",
    predicted_text: str = "",
    model: str | None = None,
    model_version: str = "",
    client: str = "",
    idempotency_key: str | None = None,
    pay: Callable[[int], None] | None = None,
) -> tuple[Feedback, bool]:
    """Store a correction with its 28×28 network input and the user's image, kept as a
    bounded PNG; committed before this returns. A correction of one character has a
    `true_label`; of a reading (predict-text), a `true_text` (then the 28×28 of each character
    the reader finds are stored). With an idempotency key the sender has used before, nothing
    is stored again: (the entry stored then, False). Else (the entry, True)."""
    loaded = get_model(model)
    labels = [*loaded.labels, NOT_A_DIGIT]
    for name, text in (("true_text", true_text), ("predicted_text", predicted_text)):
        wrong = [ch for ch in text if ch not in " \n" and not reads(loaded, ch)]
        if wrong:
            raise InvalidLabel(f"{name} holds characters model {loaded.name} does not read: {''.join(wrong)}", name)
    if not true_text:
        true_label = loaded.canonical_label(true_label, (NOT_A_DIGIT,))  # "c" is stored as "C" where merged
        if true_label is None:
            raise InvalidLabel(f"true_label must be one of {', '.join(labels)}")
    if predicted_label and (predicted_label := loaded.canonical_label(predicted_label, (NOT_A_DIGIT,))) is None:
        raise InvalidLabel(f"predicted_label must be empty or one of {', '.join(labels)}", "predicted_label")
    if isinstance(source, str):
        source = decode_base64(source, limits())  # once, for the fingerprint and both copies below
    fingerprint = request_fingerprint(
        source,
        true_label=true_label,
        predicted_label=predicted_label,
        model=loaded.name,
        version=model_version,
        **({"true_text": true_text, "predicted_text": predicted_text} if true_text or predicted_text else {}),
    )
    if idempotency_key:
        earlier = Feedback.objects.filter(client=client, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return _replayed(earlier, fingerprint), False
    feedback_purge_expired()
    _check_budgets(client, PROCESSED_BYTES)  # a sender already over its budget costs no decoding
    # What this model would see (a reading's characters, for a text), and the user's image.
    # What this model would see (a reading's characters, for a text), and the user's image: priced
    # as a prediction or a reading is, and paid for by the sender (`pay`).
    image, original, lines_image = correction_images(loaded, source, limits(), text=bool(true_text), pay=pay)
    size = len(image) + len(original) + len(lines_image)
    _check_budgets(client, size)
    try:
        with transaction.atomic():
            entry = Feedback.objects.create(
                true_label=true_label,
                predicted_label=predicted_label,
                true_text=true_text,
                predicted_text=predicted_text,
                model_name=loaded.name,
                model_version=loaded.version,  # the server's own: what a client sends is not evidence
                processed=image,
                original=original,
                lines_image=lines_image,
                original_type="image/png",
                client=client,
                stored_bytes=size,
                idempotency_key=idempotency_key or None,
                fingerprint=fingerprint,
            )
    except IntegrityError:  # the same key, sent twice at once: the other one stored it
        return _replayed(Feedback.objects.get(client=client, idempotency_key=idempotency_key), fingerprint), False
    said, meant = (predicted_text, true_text) if true_text else (predicted_label, true_label)
    log.info("feedback %s stored: %r → %r (%s)", entry.pk, said or "?", meant, loaded.name)
    return entry, True


def _replayed(earlier: Feedback, fingerprint: str) -> Feedback:
    """The correction stored under a reused key, if this request is the same one; a different
    request under the same key is refused, not answered as if it had been stored."""
    if earlier.fingerprint and earlier.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different correction; use a new key for a new one"
        )
    return earlier


def feedback_review(*, entry: Feedback, reviewed: bool) -> Feedback:
    entry.reviewed = reviewed
    entry.save(update_fields=["reviewed"])
    return entry


def feedback_delete(*, entry: Feedback) -> None:
    entry.delete()
