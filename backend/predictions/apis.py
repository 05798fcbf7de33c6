"""POST /api/predict-digit/: what comes in (its InputSerializer), what goes out (its
OutputSerializer, from which the OpenAPI schema is generated), and one call to the service."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from backend.common.apis import TINY_PNG, JsonOrFormApi, batch_of, one_or_batch_responses
from backend.common.image_inputs import ImageInputSerializer, ImageUploadSerializer, ModelRefSerializer, TopKSerializer
from backend.common.throttling import payer

from . import services

# --- POST /api/predict-digit/ ---------------------------------------------------------------


class PredictDigitApi(JsonOrFormApi):
    throttle_scope = "predict"

    InputSerializer = ImageInputSerializer
    UploadInputSerializer = ImageUploadSerializer

    class OutputSerializer(serializers.Serializer):
        TopKSerializer = TopKSerializer
        ModelRefSerializer = ModelRefSerializer

        prediction = serializers.CharField(
            help_text="The most probable label: the best guess, also when is_digit is false. A digit for the "
            "digit models; for `characters`, one of its 47 labels (0-9, A-Z, a b d e f g h n q r t)."
        )
        confidence = serializers.FloatField(help_text="Its probability, 0-1 (calibrated on validation data).")
        probabilities = serializers.ListField(
            child=serializers.FloatField(), help_text="One per label, in label order."
        )
        labels = serializers.ListField(child=serializers.CharField(), help_text="The label order.")
        top_k = TopKSerializer(many=True)
        is_digit = serializers.BooleanField(
            help_text="Whether the input looks like one digit at all (not a letter, a shape, a scribble, "
            "several digits): digit_score at or above the model's threshold. For `characters`: whether the "
            "best guess is one of the ten digits (a letter is answered with is_digit false)."
        )
        digit_score = serializers.FloatField(
            help_text="How much the input looks like a digit, 0-1. The model's threshold is in model-info "
            "(not_a_digit.threshold); probabilities stay over the model's labels either way. For "
            "`characters`: the sum of the ten digits' probabilities."
        )
        reason = serializers.ChoiceField(
            choices=["several_characters", "not_a_digit"],
            allow_null=True,
            help_text="Why is_digit is false: several_characters (a number: POST /api/predict-text/ reads it "
            "whole) or not_a_digit; null when is_digit.",
        )
        character_count = serializers.IntegerField(
            help_text="How many characters the image holds as the number reader finds them: 1 for a digit "
            "(and for the characters model's answers)."
        )
        processed_image = serializers.CharField(help_text="PNG data URL of the 28×28 image the network saw.")
        model = ModelRefSerializer()
        elapsed_ms = serializers.FloatField(help_text="Server time for preprocessing and inference.")

        class Meta:
            ref_name = "Prediction"

    BatchOutputSerializer = batch_of(OutputSerializer, "BatchPrediction")

    @extend_schema(
        operation_id="predict_digit",
        summary="Read a handwritten digit, or a letter with the characters model (or a batch)",
        description=(
            "Send one image as JSON `image` (a canvas data URL or base64), JSON `pixels`, a multipart file "
            "`image` (alias `file`), or a batch as JSON `images`. Every input is preprocessed the way the "
            "model's training data was made: for the digit models MNIST's recipe (cropped to the ink, fitted "
            "to 20×20, centred by mass in 28×28), for `characters` (47 handwritten characters, 0-9, A-Z and "
            "a b d e f g h n q r t) EMNIST's (cropped to the ink, centred in a square frame); dark-on-light "
            "is inverted, and `processed_image` shows the result. A batch answers `{results: [...]}`."
        ),
        request={"application/json": InputSerializer, "multipart/form-data": UploadInputSerializer},
        responses=one_or_batch_responses(OutputSerializer, BatchOutputSerializer, "PredictionOrBatch", "prediction"),
        examples=[
            OpenApiExample("Canvas data URL", value={"image": TINY_PNG, "top_k": 3}, request_only=True),
            OpenApiExample("Batch", value={"images": [TINY_PNG, TINY_PNG], "model": "mlp"}, request_only=True),
            OpenApiExample(
                "A character", value={"image": TINY_PNG, "model": "characters", "top_k": 5}, request_only=True
            ),
            OpenApiExample(
                "Prediction",
                response_only=True,
                value={
                    "prediction": "7",
                    "confidence": 0.998,
                    "probabilities": [0.0, 0.0, 0.001, 0.0, 0.0, 0.0, 0.0, 0.998, 0.0, 0.001],
                    "labels": [str(d) for d in range(10)],
                    "top_k": [{"label": "7", "probability": 0.998}, {"label": "2", "probability": 0.001}],
                    "is_digit": True,
                    "digit_score": 0.9993,
                    "reason": None,
                    "character_count": 1,
                    "processed_image": TINY_PNG,
                    "model": {"name": "cnn", "version": "2026-11-24.abcdef12"},
                    "elapsed_ms": 2.1,
                },
            ),
            OpenApiExample(
                "Nothing drawn",
                response_only=True,
                status_codes=["422"],
                value={"code": "empty_image", "detail": "nothing drawn: the image is blank"},
            ),
        ],
    )
    def post(self, request):
        data = self.valid_input(request)
        results = services.predict(
            sources=data["sources"], model=data.get("model"), top_k=data["top_k"], pay=payer(request)
        )
        # The answers are model_core's plain records as they stand (OutputSerializer documents
        # them; a test holds the two to the same fields, serving.ANSWER_FIELDS): building DRF's
        # output serializer, a dozen fields deep-copied, cost a fifth of a prediction's own time.
        return Response({"results": results} if data["batch"] else results[0])
