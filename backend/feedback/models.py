from django.db import models

NOT_A_DIGIT = "not_a_digit"  # the correction "this is not a digit", as stored and exported (label -1)


MAX_LINE = 64  # a line's characters at most in a text correction, as predict-text reads at most
MAX_LINES = 8  # a text correction's lines at most, as predict-text reads at most
MAX_TEXT = MAX_LINES * (MAX_LINE + 1) - 1  # its characters, the newlines between its lines included


class Feedback(models.Model):
    """A user's correction: what they drew, what the model said, and what it really was: one
    character's label (`true_label`), or a reading's text (`true_text`, its lines one "\n"
    apart; then `processed` holds the 28×28 of each character the reader found, where the
    network placed it, one after another, and `lines_image` each line's crop as the network read it).

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
    lines_image = models.BinaryField(
        default=b"",
        blank=True,
        help_text="a text's: each written line's crop as its line network reads it (32 px tall), top first, "
        "stacked in one PNG (empty for a label, or a reader that cuts)",
    )
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
