"""One class per endpoint, each reading like its URL: what comes in (its InputSerializer),
what goes out (its OutputSerializer), and one call to a service or selector in between.
The OpenAPI schema is generated from these classes."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from model_core.serving import LABELS

from . import registry, selectors, services
from .auth import FeedbackTokenAuthentication, ReadsNeedToken
from .models import NOT_A_DIGIT
from .parsers import BoundedJSONParser
from .serializers import (
    ErrorSerializer,
    FieldsBuiltOnce,
    ImageItemField,
    ImageStringField,
    ModelInfoSerializer,
    PixelsField,
    QuerySerializer,
    StrictBooleanField,
    StrictIntegerField,
    UploadSerializer,
    label_field,
    model_name_field,
)
from .throttling import client_key

VERSION_PATTERN = r"^(\d{4}-\d{2}-\d{2}\.[0-9a-f]{8}|unversioned|)$"  # empty: the model's own
IDEMPOTENCY_KEY = r"[A-Za-z0-9_.:-]{1,64}"
# A correction's label: a digit or letter (the characters model's, lower-case ones filed under
# their capital where it merges them), or "not a digit".
CORRECTION_LABELS = [*LABELS["correction_characters"], NOT_A_DIGIT]
CORRECTION_LABEL = rf"^(?:[0-9A-Za-z]|{NOT_A_DIGIT})$"
SAMPLE_LABEL = r"^(?:[0-9A-Z]|[abdefghnqrt])$"  # one of the 47

# The first MNIST test digit (a 7), as the API returns images: a PNG data URL.
TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABwAAAAcCAAAAABXZoBIAAAAxUlEQVR4nGNgGDaAEUKFpD77sfTFHeyS9xQYGBg"
    "+X4UKPuk6w8DAwMDAAuGm6l/TMnSweCzLwPDntSTDozPIOhkYGBgYBA3PmDIw/Lh1XShnGi5nBP+9KIRLTuzl/2AokwlDMlv0/U1cGq1//rPD"
    "JcfQ+m83Ky45zrM/rHBqrPu3Daec9+8PlrjkhO/+W4ZLjvn0v9vKuCTV/v3zxSUn/+BfMSMuydZ//0xwydl+QpdEClsbHoa7X1AkWZA5F53f"
    "4TIWEwAAaRE8kJuHrgAAAAAASUVORK5CYII="
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    described = {
        401: "Missing or invalid bearer token.",
        403: "Not allowed (e.g. a write from a web page whose origin is not the app's).",
        404: "No such correction.",
        400: "Invalid input (malformed JSON, missing or conflicting fields, undecodable image).",
        405: "Method not allowed.",
        413: "Request body or image too large (bytes or pixels).",
        415: "Unsupported content type or image format.",
        422: "Nothing drawn: the image has no distinguishable ink; or (feedback) an Idempotency-Key reused for "
        "a different correction.",
        429: "Too many requests, or a correction over the storage budget; retry after Retry-After seconds.",
        503: "The model is not loaded, or the server is busy decoding large images (Retry-After).",
    }
    return {s: OpenApiResponse(ErrorSerializer, description=described[s]) for s in statuses}


class JsonOrFormApi(APIView):
    """An endpoint taking a JSON body (its InputSerializer) or a multipart form with a file
    (its UploadInputSerializer); the parsers are the settings' (bounded JSON, multipart)."""

    InputSerializer: type[serializers.Serializer]
    UploadInputSerializer: type[serializers.Serializer]

    def valid_input(self, request) -> dict:
        multipart = request.content_type.startswith("multipart/")
        form = (self.UploadInputSerializer if multipart else self.InputSerializer)(data=request.data)
        form.is_valid(raise_exception=True)
        return form.validated_data


def batch_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """`{results: [item, ...]}`, documented as the component `name`."""

    class BatchSerializer(serializers.Serializer):
        results = item(many=True)

        class Meta:
            ref_name = name

    return BatchSerializer


# --- POST /api/predict-digit/ ---------------------------------------------------------------


class PredictDigitApi(JsonOrFormApi):
    throttle_scope = "predict"

    class _ModelChoiceSerializer(FieldsBuiltOnce, serializers.Serializer):
        """What both input forms choose: the model, and how many of its best labels to list."""

        model = model_name_field("Which shipped model (see /api/model-info/); default: the default model.")
        top_k = StrictIntegerField(required=False, default=3, min_value=1, max_value=10)

    class InputSerializer(_ModelChoiceSerializer):
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

    class UploadInputSerializer(UploadSerializer, _ModelChoiceSerializer):
        # A form's every value is text: here top_k=5 is how an integer is written.
        top_k = serializers.IntegerField(required=False, default=3, min_value=1, max_value=10)

        class Meta:
            ref_name = "PredictUpload"

        def validate(self, attrs):
            attrs = super().validate(attrs)
            attrs["batch"], attrs["sources"] = False, [attrs["upload"].read()]
            return attrs

    class OutputSerializer(serializers.Serializer):
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
        processed_image = serializers.CharField(help_text="PNG data URL of the 28×28 image the network saw.")
        model = ModelRefSerializer()
        elapsed_ms = serializers.FloatField(help_text="Server time for preprocessing and inference.")

        class Meta:
            ref_name = "Prediction"

    BatchOutputSerializer = batch_of(OutputSerializer, "BatchPrediction")

    @extend_schema(
        operation_id="predict_digit",
        summary="Recognise a digit (or a batch)",
        description=(
            "Send one image as JSON `image` (a canvas data URL or base64), JSON `pixels`, a multipart file "
            "`image` (alias `file`), or a batch as JSON `images`. Every input is preprocessed the way the "
            "model's training data was made: for the digit models MNIST's recipe (cropped to the ink, fitted "
            "to 20×20, centred by mass in 28×28), for `characters` (47 handwritten characters, 0-9, A-Z and "
            "a b d e f g h n q r t) EMNIST's (cropped to the ink, centred in a square frame); dark-on-light "
            "is inverted, and `processed_image` shows the result. A batch answers `{results: [...]}`."
        ),
        request={"application/json": InputSerializer, "multipart/form-data": UploadInputSerializer},
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="PredictionOrBatch",
                    serializers=[OutputSerializer, BatchOutputSerializer],
                    resource_type_field_name=None,
                ),
                description="One prediction; for a batch (`images`), `{results: [...]}` in order.",
            ),
            **errors(400, 403, 405, 413, 415, 422, 429, 503),
        },
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
        results = services.predict(sources=data["sources"], model=data.get("model"), top_k=data["top_k"])
        # The answers are model_core's plain records as they stand (OutputSerializer documents
        # them; a test holds the two to the same fields, serving.ANSWER_FIELDS): building DRF's
        # output serializer, a dozen fields deep-copied, cost a fifth of a prediction's own time.
        return Response({"results": results} if data["batch"] else results[0])


# --- GET /api/display-images/ ----------------------------------------------------------------


class DisplayImagesApi(APIView):
    throttle_scope = "samples"

    class InputSerializer(QuerySerializer):
        count = serializers.IntegerField(required=False, default=12, min_value=1, max_value=100)
        dataset = serializers.ChoiceField(
            choices=["mnist", "emnist"],
            required=False,
            default="mnist",
            help_text="mnist: MNIST's digits (train, test, and validation: the 5,000 training images the digit "
            "models held out); emnist: EMNIST's 47 handwritten characters (the parts train, validation, test of "
            "the split the characters model was trained on).",
        )
        digit = serializers.IntegerField(required=False, min_value=0, max_value=9, help_text="Only this digit.")
        label = label_field(
            SAMPLE_LABEL,
            LABELS["characters"],
            required=False,
            help_text="Only this label: a digit, or for emnist one of its 47 characters (MNIST has no letters: "
            "none are found). With `digit` too, samples must have both.",
        )
        split = serializers.ChoiceField(
            choices=sorted({*LABELS["splits"]["mnist"], *LABELS["splits"]["emnist"]}), required=False, default="test"
        )
        seed = serializers.IntegerField(
            required=False, min_value=0, max_value=2**63 - 1, help_text="Same seed, same samples."
        )

        def validate(self, attrs):
            wanted = {str(attrs["digit"])} if "digit" in attrs else set()
            wanted |= {attrs["label"]} if "label" in attrs else set()
            # Both given and different: no sample has two labels, so none is found.
            attrs["label"] = wanted.pop() if len(wanted) == 1 else (None if not wanted else "")
            return attrs

    class OutputSerializer(serializers.Serializer):
        class SampleSerializer(serializers.Serializer):
            id = serializers.IntegerField(help_text="Row index in the split's CSV.")
            label = serializers.CharField()
            split = serializers.CharField()
            image = serializers.CharField(help_text="PNG data URL, 28×28.")

            class Meta:
                ref_name = "Sample"

        seed = serializers.IntegerField(help_text="Pass it back to get the same samples.")
        images = SampleSerializer(many=True)

        class Meta:
            ref_name = "DisplayImages"

    @extend_schema(
        operation_id="display_images",
        summary="Random MNIST digits or EMNIST characters",
        parameters=[InputSerializer],
        responses={200: OutputSerializer, **errors(400, 405, 429)},
        examples=[
            OpenApiExample(
                "Samples",
                response_only=True,
                value={"seed": 42, "images": [{"id": 1234, "label": "3", "split": "test", "image": TINY_PNG}]},
            )
        ],
    )
    def get(self, request):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        seed = q.get("seed", secrets.randbits(31))
        images = selectors.sample_list(
            count=q["count"], label=q["label"], split=q["split"], seed=seed, dataset=q["dataset"]
        )
        return Response(self.OutputSerializer({"seed": seed, "images": images}).data)


# --- GET /api/model-info/ ----------------------------------------------------------------------


class ModelInfoApi(APIView):
    class InputSerializer(QuerySerializer):
        model = model_name_field("Which shipped model; default: the default model.")

    OutputSerializer = ModelInfoSerializer

    @extend_schema(
        operation_id="model_info",
        summary="The model card",
        description="Architecture, parameters, labels, data checksums, training history and test metrics.",
        parameters=[InputSerializer],
        responses={200: OutputSerializer, **errors(400, 405, 429, 503)},
    )
    def get(self, request):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(self.OutputSerializer(selectors.model_card(name=query.validated_data.get("model"))).data)


# --- GET /api/health/ and /api/ready/ ------------------------------------------------------------


class HealthApi(APIView):
    throttle_classes = []

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()

        class Meta:
            ref_name = "Health"

    @extend_schema(operation_id="health", summary="Liveness", responses={200: OutputSerializer, **errors(405)})
    def get(self, request):
        return Response(self.OutputSerializer({"status": "ok"}).data)


class ReadinessApi(APIView):
    throttle_classes = []

    class OutputSerializer(serializers.Serializer):
        ready = serializers.BooleanField(help_text="Every shipped model is loaded: predictions can be answered.")
        detail = serializers.CharField()
        models_loaded = serializers.ListField(child=serializers.CharField())
        checks = serializers.DictField(
            child=serializers.CharField(),
            help_text='"ok" or what is wrong, for the model, the database (corrections) and the cache '
            "(shared throttle counts; without it throttling is off, predictions go on).",
        )

        class Meta:
            ref_name = "Readiness"

    @extend_schema(
        operation_id="readiness",
        summary="Readiness: are the models loaded?",
        responses={200: OutputSerializer, 503: OutputSerializer, **errors(405)},
    )
    def get(self, request):
        state = registry.readiness()
        return Response(self.OutputSerializer(state).data, status=200 if state["ready"] else 503)


# --- POST and GET /api/feedback/, GET /api/feedback/export/ --------------------------------------


class FeedbackOutputSerializer(serializers.Serializer):
    """A stored correction, as POST answers it and GET lists it."""

    id = serializers.IntegerField()
    created = serializers.DateTimeField()
    true_label = serializers.CharField()
    predicted_label = serializers.CharField()
    model = serializers.CharField(source="model_name")
    model_version = serializers.CharField()
    reviewed = serializers.BooleanField(help_text="Checked by a token holder: fit for fine-tuning.")
    processed_image = serializers.SerializerMethodField(help_text="PNG data URL of the stored 28×28 image.")

    class Meta:
        ref_name = "Feedback"

    def get_processed_image(self, entry) -> str:
        return selectors.feedback_image(entry)


class FeedbackPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class FeedbackApi(JsonOrFormApi):
    authentication_classes = [FeedbackTokenAuthentication]
    permission_classes = [ReadsNeedToken]
    throttle_scope = "feedback"

    class _LabelsSerializer(serializers.Serializer):
        true_label = label_field(
            CORRECTION_LABEL,
            CORRECTION_LABELS,
            help_text=f'What the drawing really is: a digit, or "{NOT_A_DIGIT}"; for the `characters` model one '
            "of its 47 characters (a merged lower-case letter such as c is stored as its capital, C). A label "
            "the named model does not have is a 422 `invalid_label`.",
        )
        predicted_label = label_field(
            CORRECTION_LABEL.replace(")$", ")?$"),
            ["", *CORRECTION_LABELS],
            required=False,
            default="",
            help_text="What the model said, if known.",
        )
        model = model_name_field("The model that made the prediction.")
        model_version = serializers.RegexField(
            VERSION_PATTERN,
            max_length=64,
            required=False,
            default="",
            allow_blank=True,
            help_text="The version of that model (as predict-digit answers it): `YYYY-MM-DD.` then 8 hex digits.",
        )

    class InputSerializer(_LabelsSerializer):
        """The drawing (exactly one of `image` or `pixels`) and the label it should have had."""

        image = ImageStringField(required=False, help_text="Data URL or base64.")
        pixels = PixelsField(required=False)

        class Meta:
            ref_name = "FeedbackJSON"

        def validate(self, attrs):
            if ("image" in attrs) == ("pixels" in attrs):
                raise serializers.ValidationError("send exactly one of 'image' or 'pixels'", code="invalid_input")
            attrs["source"] = attrs.get("image", attrs.get("pixels"))
            return attrs

    class UploadInputSerializer(UploadSerializer, _LabelsSerializer):
        class Meta:
            ref_name = "FeedbackUpload"

        def validate(self, attrs):
            attrs = super().validate(attrs)
            attrs["source"] = attrs["upload"].read()
            return attrs

    OutputSerializer = FeedbackOutputSerializer

    class PageSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        results = FeedbackOutputSerializer(many=True)

        class Meta:
            ref_name = "FeedbackPage"

    @extend_schema(
        operation_id="feedback_create",
        summary="Correct a prediction",
        description="Store the drawing (same input forms as predict-digit) with the label it really has. "
        "The 28×28 network input is stored too. Acknowledged writes are durable.",
        request={"application/json": InputSerializer, "multipart/form-data": UploadInputSerializer},
        responses={201: OutputSerializer, **errors(400, 403, 405, 413, 415, 422, 429, 503)},
        examples=[
            OpenApiExample(
                "Correction",
                request_only=True,
                value={"image": TINY_PNG, "predicted_label": "1", "true_label": "7", "model": "cnn"},
            )
        ],
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key")
        if key is not None and not re.fullmatch(IDEMPOTENCY_KEY, key):
            raise ValidationError({"Idempotency-Key": ["1 to 64 letters, digits, '-', '_', '.' or ':'"]})
        data = self.valid_input(request)
        entry, created = services.feedback_create(
            source=data["source"],
            true_label=data["true_label"],
            predicted_label=data["predicted_label"],
            model=data.get("model"),
            model_version=data["model_version"],
            client=client_key(request),
            idempotency_key=key,
        )
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(self.OutputSerializer(entry).data, status=201, headers=headers)

    class ListInputSerializer(QuerySerializer):
        page = serializers.IntegerField(required=False, min_value=1, help_text="1 (the newest) by default.")
        page_size = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=FeedbackPagination.max_page_size,
            help_text=f"Corrections a page, {FeedbackPagination.page_size} by default.",
        )

    @extend_schema(
        operation_id="feedback_list",
        summary="List corrections (token required)",
        description="Send `Authorization: Bearer <FEEDBACK_READ_TOKEN>`. Newest first, paginated.",
        parameters=[ListInputSerializer],
        responses={200: PageSerializer, **errors(400, 401, 403, 404, 405, 429)},
    )
    def get(self, request):
        # Checked here, so that a page size of "abc" or 0 is a 400 rather than the default.
        self.ListInputSerializer(data=request.query_params).is_valid(raise_exception=True)
        paginator = FeedbackPagination()
        page = paginator.paginate_queryset(selectors.feedback_list(), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class FeedbackDetailApi(APIView):
    authentication_classes = [FeedbackTokenAuthentication]
    permission_classes = [ReadsNeedToken]
    parser_classes = [BoundedJSONParser]
    throttle_scope = "feedback"

    class InputSerializer(serializers.Serializer):
        reviewed = StrictBooleanField(help_text="Mark the correction fit (or unfit) for fine-tuning.")

        class Meta:
            ref_name = "FeedbackReview"

    @extend_schema(
        operation_id="feedback_review",
        summary="Mark a correction reviewed (token required)",
        request=InputSerializer,
        responses={200: FeedbackOutputSerializer, **errors(400, 401, 403, 404, 405, 415, 429)},
    )
    def patch(self, request, pk: int):
        form = self.InputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        entry = services.feedback_review(entry=self.entry(pk), reviewed=form.validated_data["reviewed"])
        return Response(FeedbackOutputSerializer(entry).data)

    @extend_schema(
        operation_id="feedback_delete",
        summary="Delete a correction (token required)",
        responses={204: None, **errors(401, 403, 404, 405, 429)},
    )
    def delete(self, request, pk: int):
        services.feedback_delete(entry=self.entry(pk))
        return Response(status=204)

    @staticmethod
    def entry(pk: int):
        entry = selectors.feedback_get(pk=pk)
        if entry is None:
            raise NotFound(f"no correction {pk}")
        return entry


class FeedbackExportApi(APIView):
    authentication_classes = [FeedbackTokenAuthentication]
    permission_classes = [ReadsNeedToken]
    throttle_scope = "feedback"

    class InputSerializer(QuerySerializer):
        reviewed = serializers.ChoiceField(
            choices=["all", "only"],
            required=False,
            default="all",
            help_text="`only`: just the corrections a token holder marked reviewed (always so when the server "
            "sets FEEDBACK_REQUIRE_REVIEW).",
        )
        model = model_name_field(
            "Only the corrections made for this model (fine-tune a digit model on a digit "
            "model's corrections: `characters` rows hold letters)."
        )

    @extend_schema(
        operation_id="feedback_export",
        summary="Export corrections as MNIST-style CSV (token required)",
        description="Streams `label,pixel0,...,pixel783,model`, one row per correction, oldest first: the "
        "format `python -m model_core finetune --extra` reads (it keeps the rows of models with the same labels "
        f"as the one it tunes). A `{NOT_A_DIGIT}` correction is label -1; the pixels are the 28×28 made by "
        "that row's model's recipe.",
        parameters=[InputSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV rows."),
            **errors(400, 401, 403, 405, 429),
        },
    )
    def get(self, request):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        only = query.validated_data["reviewed"] == "only" or settings.FEEDBACK_REQUIRE_REVIEW
        lines = selectors.feedback_csv_lines(reviewed_only=only, model=query.validated_data.get("model"))
        response = StreamingHttpResponse(lines, content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="feedback.csv"'
        return response
