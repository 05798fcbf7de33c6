from django.db import models


class Feedback(models.Model):
    """A user's correction: what they drew, what the model said, and what it really was.

    Both the drawing as received and the 28×28 image the network saw are kept, so nothing
    the user gave is lost and the corrections export directly as MNIST-style rows.
    """

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    true_label = models.CharField(max_length=16)
    predicted_label = models.CharField(max_length=16, blank=True)
    model_name = models.CharField(max_length=64, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    processed = models.BinaryField(help_text="784 bytes: the 28×28 network input, 0-255, row-major")
    original = models.BinaryField(help_text="the drawing exactly as sent (encoded image, or .npy pixels)")
    original_type = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"feedback {self.pk}: {self.predicted_label or '?'} → {self.true_label}"
