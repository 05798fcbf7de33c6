from django.db import models

NOT_A_DIGIT = "not_a_digit"  # the correction "this is not a digit", as stored and exported (label -1)


MAX_TEXT = 64  # a text correction's characters at most, as predict-text reads at most


class Feedback(models.Model):
    """A user's correction: what they drew, what the model said, and what it really was: one
    character's label (`true_label`), or a reading's text (`true_text`; then `processed` holds
    the 28×28 of each character the reader found, one after another).

    The 28×28 image the network saw is kept, and what the user drew or photographed, decoded
    and stored again as a bounded lossless PNG (`original`): every stroke is kept, whatever
    was appended to the file is not. Corrections are untrusted until a token holder marks
    them reviewed.
    """

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    true_label = models.CharField(max_length=16, blank=True, help_text="empty for a text correction")
    predicted_label = models.CharField(max_length=16, blank=True)
    true_text = models.CharField(max_length=MAX_TEXT, blank=True, default="", help_text="empty for a label correction")
    predicted_text = models.CharField(max_length=MAX_TEXT, blank=True, default="")
    model_name = models.CharField(max_length=64, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    processed = models.BinaryField(
        help_text="784 bytes: the 28×28 network input, 0-255, row-major (a text's: 784 a character read)"
    )
    original = models.BinaryField(help_text="the user's image as decoded pixels, a PNG (long side ≤ 1024, ≤ 256 KB)")
    original_type = models.CharField(max_length=64)
    client = models.CharField(max_length=32, blank=True, db_index=True, help_text="a hash of the sender's address")
    stored_bytes = models.PositiveIntegerField(default=0, help_text="what this correction takes in storage")
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)
    fingerprint = models.CharField(
        max_length=64, blank=True, default="", help_text="SHA-256 of the request as parsed (labels, model, image)"
    )
    reviewed = models.BooleanField(default=False, help_text="checked by a token holder: fit for fine-tuning")

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "idempotency_key"], name="feedback_idempotency_key_per_client")
        ]

    def __str__(self) -> str:
        if self.true_text:
            return f"feedback {self.pk}: {self.predicted_text or '?'!r} → {self.true_text!r}"
        return f"feedback {self.pk}: {self.predicted_label or '?'} → {self.true_label}"
