"""What POST /api/predict-digit/ and POST /api/predict-text/ share: the image's input forms (a
JSON data URL, base64 or pixels, a batch, a multipart file) with the model and top_k chosen,
and the pieces of their answers both name (a label's probability, the model that answered)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from .serializers import (
    FieldsBuiltOnce,
    FormIntegerField,
    ImageItemField,
    ImageStringField,
    PixelsField,
    StrictIntegerField,
    UploadSerializer,
    model_name_field,
)


class ModelChoiceSerializer(FieldsBuiltOnce, serializers.Serializer):
    """What both input forms choose: the model, and how many of its best labels to list."""

    model = model_name_field("Which shipped model (see /api/model-info/); default: the default model.")
    top_k = StrictIntegerField(required=False, default=3, min_value=1, max_value=10)


class ImageInputSerializer(ModelChoiceSerializer):
    """Exactly one of `image`, `pixels` or `images`."""

    image = ImageStringField(
        required=False,
        help_text="What a canvas sends: canvas.toDataURL('image/png'), or bare base64 of PNG/JPEG/WebP/GIF/BMP.",
    )
    pixels = PixelsField(required=False)
    images = serializers.ListField(
        child=ImageItemField(),
        required=False,
        min_length=1,
        max_length=settings.MAX_BATCH_SIZE,
        help_text=f"A batch of up to {settings.MAX_BATCH_SIZE} images (strings or pixel arrays); "
        "answered as {results: [...]} in order.",
    )

    class Meta:
        ref_name = "PredictJSON"

    def validate(self, attrs):
        given = [key for key in ("image", "pixels", "images") if key in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                "send exactly one of 'image' (data URL or base64), 'pixels' or 'images' (a batch)",
                code="invalid_input",
            )
        attrs["batch"] = "images" in attrs
        attrs["sources"] = attrs["images"] if attrs["batch"] else [attrs[given[0]]]
        return attrs


class ImageUploadSerializer(UploadSerializer, ModelChoiceSerializer):
    # A form's every value is text: here top_k=5 is how an integer is written.
    top_k = FormIntegerField(required=False, default=3, min_value=1, max_value=10)

    class Meta:
        ref_name = "PredictUpload"

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["batch"], attrs["sources"] = False, [attrs["upload"].read()]
        return attrs


class TopKSerializer(serializers.Serializer):
    label = serializers.CharField()
    probability = serializers.FloatField()

    class Meta:
        ref_name = "TopK"


class ModelRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()

    class Meta:
        ref_name = "ModelRef"
