"""Fields and serializers several APIs share: image inputs, the upload form, the error body,
and the model card. Each API's own contract is nested in its class in apis.py; the OpenAPI
schema is generated from both."""

from __future__ import annotations

import copy
import re

import numpy as np
from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from model_core.serving import Limits

from .errors import PayloadTooLarge
from .registry import model_names

MIN_SIDE = 8  # fewer pixels than this a side cannot hold a recognisable digit
# Base64 as the API decodes it: an optional data-URL header (an image's media type, or none),
# then whole groups of four characters (white space anywhere between them), the last group
# padded with = if need be.
_B64 = r"[A-Za-z0-9+/]\s*"
_DATA_URL = r"data:\s*(?:[Ii][Mm][Aa][Gg][Ee]/[^,;]*)?(?:;[^,]*)?;base64,"
BASE64_PATTERN = (
    rf"^\s*(?:{_DATA_URL})?\s*(?:(?:{_B64}){{4}})*(?:(?:{_B64}){{4}}|(?:{_B64}){{2}}=\s*=|(?:{_B64}){{3}}=)\s*$"
)
IMAGE_STRING = {
    "type": "string",
    "pattern": BASE64_PATTERN,
    "description": "A data URL (data:image/png;base64,...) or bare base64 of a PNG, JPEG, WebP, GIF or BMP.",
}
GREY = {"type": "number", "minimum": 0, "maximum": 255}
PIXELS_SCHEMA = {
    "oneOf": [
        {
            "type": "array",
            "description": f"Rows of grey values (0-255, or 0-1), white ink on black: 28×28 like MNIST, or any "
            f"size from {MIN_SIDE}×{MIN_SIDE}. Rows shorter than the longest are padded with background (0).",
            "minItems": MIN_SIDE,
            "items": {"type": "array", "items": GREY, "minItems": MIN_SIDE},
        },
        {
            "type": "array",
            "description": "The 28×28 pixels as one flat list, row by row (any square length is read the same way).",
            "items": GREY,
            "minItems": 784,
            "maxItems": 784,
        },
    ]
}


def _has_booleans(data: list) -> bool:
    """true/false among the numbers (NumPy would read them as 1 and 0)."""
    return any(isinstance(v, bool) or (isinstance(v, list) and any(isinstance(w, bool) for w in v)) for v in data)


def _rectangular(data: list) -> list:
    """Rows of different lengths, padded with background (0) to the longest."""
    if data and all(isinstance(row, list) for row in data):
        width = max(len(row) for row in data)
        if any(len(row) != width for row in data):
            return [row + [0] * (width - len(row)) for row in data]
    return data


@extend_schema_field(PIXELS_SCHEMA)
class PixelsField(serializers.Field):
    """A 2-D array of numbers, converted with NumPy in one step rather than per element."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or _has_booleans(data):
            raise serializers.ValidationError("pixels must be an array of rows of numbers (0-255)")
        try:
            # Read as they are first (one C-level pass): numbers stay numbers, and a string among
            # them ("3") makes the whole array strings, refused, as the schema says integers.
            pixels = np.asarray(_rectangular(data))
        except (TypeError, ValueError, OverflowError):
            raise serializers.ValidationError("pixels must be an array of rows of numbers (0-255)") from None
        if pixels.dtype.kind not in "iuf":
            raise serializers.ValidationError("pixels must be numbers (0-255), not strings or other values")
        pixels = pixels.astype(np.float32)
        if pixels.ndim == 1:
            side = int(round(pixels.size**0.5))
            if side * side != pixels.size:
                raise serializers.ValidationError("a flat pixel list must have a square length, e.g. 784")
            pixels = pixels.reshape(side, side)
        if pixels.ndim != 2:
            raise serializers.ValidationError("pixels must be a 2-D array (rows of numbers)")
        if min(pixels.shape) < MIN_SIDE:
            height, width = pixels.shape
            raise serializers.ValidationError(f"pixels must be at least {MIN_SIDE}×{MIN_SIDE}; got {height}×{width}")
        if pixels.size > settings.MAX_PIXEL_VALUES:
            raise PayloadTooLarge(f"{pixels.size} pixels; at most {settings.MAX_PIXEL_VALUES} are accepted as numbers")
        if not np.isfinite(pixels).all() or pixels.min() < 0 or pixels.max() > 255:
            raise serializers.ValidationError("pixel values must lie in 0-255 (or 0-1)")
        return pixels

    def to_representation(self, value):
        return np.asarray(value).tolist()


@extend_schema_field(
    {
        "oneOf": [
            IMAGE_STRING,
            *PIXELS_SCHEMA["oneOf"],
        ]
    }
)
class ImageItemField(serializers.Field):
    """One batch item: an encoded image as a string, or pixels."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            return _image_string(data)
        if isinstance(data, list):
            return PixelsField().to_internal_value(data)
        raise serializers.ValidationError("each item must be a data URL / base64 string or an array of pixels")


@extend_schema_field(IMAGE_STRING)
class ImageStringField(serializers.CharField):
    """A data URL or base64 text. DRF's per-character surrogate and null-character checks
    are skipped: the surrogate scan walks every character in Python (slow on megabyte
    images), and base64 decoding refuses anything that is not base64 anyway, with the same
    answer for a NUL as for any other stray character (the schema calls it a string)."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)
        skipped = (ProhibitSurrogateCharactersValidator, ProhibitNullCharactersValidator)
        self.validators = [v for v in self.validators if not isinstance(v, skipped)]

    def to_internal_value(self, data):
        if not isinstance(data, str):  # 5, true, an object: one answer for every kind that is not text
            raise serializers.ValidationError("must be a data URL or base64 text (a JSON string)", code="invalid")
        return _image_string(super().to_internal_value(data))


# A multipart form carrying one image file as `image` (or its alias `file`); its validated
# data gains `upload`, the file.
class StrictIntegerField(serializers.IntegerField):
    """An integer as JSON writes it: not "3" (the schema says integer). Forms, whose every
    value is text, keep DRF's IntegerField."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("must be an integer (a JSON number, not a string)", code="invalid")
        return super().to_internal_value(data)


class FormIntegerField(serializers.IntegerField):
    """An integer as a form or a query writes it: ASCII digits (Python's int() would also take
    "１", a full-width digit), and a value given empty is an error, not the default (DRF would
    quietly drop it from a form, where JSON's empty string is a 400)."""

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        return "" if value is serializers.empty and dictionary.get(self.field_name) == "" else value

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"\s*[-+]?[0-9]+\s*", data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false, as JSON writes them: not 0, "yes" or "off"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError("must be true or false", code="invalid")
        return data


class FieldsBuiltOnce:
    """A serializer whose fields are built once for its class, not on every request: DRF
    deep-copies every declared field (re-running each one's constructor) whenever a
    serializer is made, a fifth of a prediction's framework time. Each instance gets shallow
    copies, bound to it as DRF binds them; validation only reads a field's settings."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()  # DRF's deep copy, once for this class
            cls._fields_built = built
        return {name: copy.copy(field) for name, field in built.items()}


class UploadSerializer(serializers.Serializer):
    # An empty file is read as an empty image (a 422 that says so), like an empty data URL.
    image = serializers.FileField(
        required=False, allow_empty_file=True, help_text="An image file (PNG, JPEG, WebP, GIF, BMP)."
    )
    file = serializers.FileField(required=False, allow_empty_file=True, help_text="Alias of `image`.")

    def validate(self, attrs):
        files = getattr(self.initial_data, "getlist", None)
        if files is not None and (len(files("image")) > 1 or len(files("file")) > 1):  # which would be read?
            raise serializers.ValidationError("send one image file (one multipart part named 'image' or 'file')")
        upload = attrs.get("image") or attrs.get("file")
        if upload is None:
            raise serializers.ValidationError("attach the image as the multipart field 'image' (or 'file')")
        if upload.size > settings.MAX_IMAGE_BYTES:
            raise PayloadTooLarge(f"image is {upload.size} bytes; the limit is {settings.MAX_IMAGE_BYTES}")
        attrs["upload"] = upload
        return attrs


class NamedChoiceField(serializers.ChoiceField):
    """One of a few names (an enum in the schema); anything else, whatever its type, is a 400
    with `code` that lists the names there are."""

    default_error_messages = {"blank": "This field may not be blank."}

    def __init__(self, choices, code: str, what: str, **kwargs):
        super().__init__(choices=choices, **kwargs)
        self.code, self.what = code, what

    def get_value(self, dictionary):  # a form's empty value is one given, as in JSON (not the default)
        value = super().get_value(dictionary)
        return "" if value is serializers.empty and dictionary.get(self.field_name) == "" else value

    def to_internal_value(self, data):
        if data == "" and "" not in self.choices:
            self.fail("blank")
        if not isinstance(data, str) or data not in self.choices:
            names = ", ".join(repr(name) for name in self.choices) or "none"
            raise serializers.ValidationError(f"{self.what} must be one of {names}", code=self.code)
        return data


def label_field(pattern: str, allowed: list[str], **kwargs) -> serializers.CharField:
    """A label as a string matching `pattern` (documented so; an enum would put "a" and "A"
    in one set, which generated clients cannot name apart), one of `allowed` or a 400
    `invalid_label`."""

    @extend_schema_field({"type": "string", "pattern": pattern})
    class LabelField(serializers.CharField):
        def to_internal_value(self, data):
            if not isinstance(data, str) or data not in allowed:
                raise serializers.ValidationError(
                    f"must be one of {', '.join(a or repr(a) for a in allowed)}", code="invalid_label"
                )
            return data

    return LabelField(trim_whitespace=False, allow_blank="" in allowed, **kwargs)


class ModelNameField(NamedChoiceField):
    """A shipped model's name; an unknown one is a 400 `unknown_model`."""

    def __init__(self, **kwargs):
        super().__init__(model_names(), "unknown_model", "model", required=False, **kwargs)


def model_name_field(help_text: str) -> ModelNameField:
    return ModelNameField(help_text=help_text)


class QuerySerializer(serializers.Serializer):
    """Query parameters: one given empty (`?split=`) is an error, not the default, and so is
    one given twice (`?seed=1&seed=2`: each is a single value, and Django would silently
    keep the last)."""

    def to_internal_value(self, data):
        errors = {name: ["must not be empty"] for name in self.fields if data.get(name, None) == ""}
        if hasattr(data, "getlist"):
            errors |= {name: ["give it once"] for name in self.fields if len(data.getlist(name)) > 1}
        if errors:
            raise serializers.ValidationError(errors, code="invalid_input")
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable reason, e.g. empty_image, too_large.")
    detail = serializers.CharField(help_text="A sentence for people.")
    errors = serializers.DictField(required=False, help_text="Per-field messages, for invalid input.")


def _image_string(value: str) -> str:
    if not value.strip():
        raise serializers.ValidationError("image is an empty string")
    if Limits(max_bytes=settings.MAX_IMAGE_BYTES).base64_too_long(value):  # refused before a byte is decoded
        raise PayloadTooLarge(f"image exceeds {settings.MAX_IMAGE_BYTES} bytes")
    return value
