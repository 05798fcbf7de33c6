"""POST and GET /api/feedback/, PATCH and DELETE /api/feedback/<id>/, GET
/api/feedback/export/: the corrections users send, and what a token holder reads of them."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.apis import TINY_PNG, JsonOrFormApi, errors
from backend.common.auth import FeedbackTokenAuthentication, ReadsNeedToken
from backend.common.parsers import BoundedJSONParser
from backend.common.serializers import (
    FormIntegerField,
    ImageStringField,
    PixelsField,
    QuerySerializer,
    StrictBooleanField,
    UploadSerializer,
    label_field,
    model_name_field,
)
from backend.common.throttling import client_key, payer
from model_core.serving import LABELS

from . import selectors, services
from .models import MAX_LINE, MAX_LINES, MAX_TEXT, NOT_A_DIGIT

VERSION_PATTERN = r"^(\d{4}-\d{2}-\d{2}\.[0-9a-f]{8}|unversioned|)$"  # empty: the model's own
IDEMPOTENCY_KEY = r"[A-Za-z0-9_.:-]{1,64}"
# A correction's label: a digit or letter (the characters model's, lower-case ones filed under
# their capital where it merges them), or "not a digit".
CORRECTION_LABELS = [*LABELS["correction_characters"], NOT_A_DIGIT]
CORRECTION_LABEL = rf"^(?:[0-9A-Za-z]|{NOT_A_DIGIT})$"
# A reading's text as predict-text answers it: words of letters and digits, one space apart.
# Words one space apart; a hyphen or an apostrophe only inside a word (never first: no cell of an
# export may begin like a formula).
WORD = r"[0-9A-Za-z]+(?:[-'][0-9A-Za-z]+)*"
LINE = rf"{WORD}(?: {WORD})*"
CORRECTION_TEXT = rf"^{LINE}(?:\n{LINE})*$"  # a picture's lines, top first, one newline apart


class TextField(serializers.RegexField):
    """A text as a JSON string only (a number is not a text, however it would print): at most
    MAX_LINES lines of at most MAX_LINE characters each."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string", code="invalid")
        lines = data.strip().split("\n")
        if len(lines) > MAX_LINES or any(len(line) > MAX_LINE for line in lines):
            raise serializers.ValidationError(
                f"at most {MAX_LINES} lines of at most {MAX_LINE} characters each", code="max_length"
            )
        return super().to_internal_value(data)


def one_kind(attrs: dict) -> dict:
    """A correction is of one character (true_label) or of a reading (true_text), never both.
    Either prediction may come with either (a drawing predict-digit called "not a digit" and
    predict-text read as a number): each is stored as given."""
    if bool(attrs.get("true_label")) == bool(attrs.get("true_text")):
        raise serializers.ValidationError("send exactly one of 'true_label' or 'true_text'", code="invalid_input")
    return attrs


# --- POST and GET /api/feedback/, GET /api/feedback/export/ --------------------------------------


class FeedbackOutputSerializer(serializers.Serializer):
    """A stored correction, as POST answers it and GET lists it."""

    id = serializers.IntegerField()
    created = serializers.DateTimeField()
    true_label = serializers.CharField(help_text="Empty for a text correction.")
    predicted_label = serializers.CharField()
    true_text = serializers.CharField(allow_null=True, help_text="A text correction's text; null for a label's.")
    predicted_text = serializers.CharField(allow_null=True, help_text="What the reading said; null when not sent.")
    model = serializers.CharField(source="model_name")
    model_version = serializers.CharField()
    reviewed = serializers.BooleanField(help_text="Checked by a token holder: fit for fine-tuning.")
    processed_image = serializers.SerializerMethodField(
        help_text="PNG data URL of the stored 28×28 image (a text correction's: each character the reader found, "
        "side by side, 28 px tall; null when it found none)."
    )

    class Meta:
        ref_name = "Feedback"

    @extend_schema_field({"type": "string", "nullable": True})
    def get_processed_image(self, entry) -> str | None:
        return selectors.feedback_image(entry)

    def to_representation(self, entry):
        data = super().to_representation(entry)
        data["true_text"], data["predicted_text"] = entry.true_text or None, entry.predicted_text or None
        return data


class FeedbackPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class FeedbackApi(JsonOrFormApi):
    authentication_classes = [FeedbackTokenAuthentication]
    permission_classes = [ReadsNeedToken]
    throttle_scope = "feedback"
    token_throttle_scope = "feedback_reads"  # the read token's holder: a scope of its own

    class _LabelsSerializer(serializers.Serializer):
        true_label = label_field(
            CORRECTION_LABEL,
            CORRECTION_LABELS,
            required=False,
            help_text=f'What the drawing really is: a digit, or "{NOT_A_DIGIT}"; for the `characters` model one '
            "of its 47 characters (a merged lower-case letter such as c is stored as its capital, C). A label "
            "the named model does not have is a 422 `invalid_label`. Send this or `true_text`.",
        )
        true_text = TextField(
            CORRECTION_TEXT,
            max_length=MAX_TEXT,
            required=False,
            help_text="What a reading (predict-text) should have said: its lines top first, one newline apart "
            "(up to 8), each 1-64 characters: words of letters and digits one space apart, a hyphen or an "
            "apostrophe inside a word (JEAN-PIERRE, O'NEIL: a model of characters only); a digit model's "
            "digits only; a character the model does not read is a 422 "
            "`invalid_label`. Stored with the 28×28 of each character where the reader placed it, and each "
            "line's crop as a line network read it; exported by "
            "`/api/feedback/export/?kind=text`, and, when it has as many characters as the reading found, a row a "
            "character in the MNIST-style export. Send this or `true_label`.",
        )
        predicted_text = TextField(
            CORRECTION_TEXT.replace("^", "^(?:").replace("$", ")?$"),  # or empty: not known
            max_length=MAX_TEXT,
            required=False,
            default="",
            allow_blank=True,
            help_text="What the reading said, if known (with `true_text`).",
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
            help_text="The version of that model (as predict-digit answers it): `YYYY-MM-DD.` then 8 hex digits. "
            "Checked for form only: the correction is stored with the version the server's model has.",
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
            return one_kind(attrs)

    class UploadInputSerializer(UploadSerializer, _LabelsSerializer):
        class Meta:
            ref_name = "FeedbackUpload"

        def validate(self, attrs):
            attrs = one_kind(super().validate(attrs))
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
        description="Store the drawing (same input forms as predict-digit) with the label it really has "
        "(`true_label`), or a reading's image (predict-text) with the text it really holds (`true_text`). The "
        "28×28 network input is stored too (for a text, each character's). Acknowledged writes are durable.",
        request={"application/json": InputSerializer, "multipart/form-data": UploadInputSerializer},
        responses={201: OutputSerializer, **errors(400, 403, 405, 413, 415, 422, 429, 503)},
        examples=[
            OpenApiExample(
                "Correction",
                request_only=True,
                value={"image": TINY_PNG, "predicted_label": "1", "true_label": "7", "model": "cnn"},
            ),
            OpenApiExample(
                "Text correction",
                request_only=True,
                value={"image": TINY_PNG, "predicted_text": "JOHM", "true_text": "JOHN", "model": "characters"},
            ),
        ],
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key")
        if key is not None and not re.fullmatch(IDEMPOTENCY_KEY, key):
            raise ValidationError({"Idempotency-Key": ["1 to 64 letters, digits, '-', '_', '.' or ':'"]})
        data = self.valid_input(request)
        entry, created = services.feedback_create(
            source=data["source"],
            true_label=data.get("true_label", ""),
            predicted_label=data["predicted_label"],
            true_text=data.get("true_text", ""),
            predicted_text=data["predicted_text"],
            model=data.get("model"),
            model_version=data["model_version"],
            client=client_key(request),
            idempotency_key=key,
            pay=payer(request),
        )
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(self.OutputSerializer(entry).data, status=201, headers=headers)

    class ListInputSerializer(QuerySerializer):
        page = FormIntegerField(required=False, min_value=1, help_text="1 (the newest) by default.")
        page_size = FormIntegerField(
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
    token_throttle_scope = "feedback_reads"  # the read token's holder: a scope of its own

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
    token_throttle_scope = "feedback_reads"  # the read token's holder: a scope of its own

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
        kind = serializers.ChoiceField(
            choices=["labels", "text"],
            required=False,
            default="labels",
            help_text="labels (the default): MNIST-style rows, one a character. text: the text corrections, "
            "`id,true_text,predicted_text,model,image` (the user's image as a PNG data URL).",
        )

    @extend_schema(
        operation_id="feedback_export",
        summary="Export corrections as MNIST-style CSV, or the text corrections (token required)",
        description="Streams `label,pixel0,...,pixel783,model`, one row per correction, oldest first: the "
        "format `python -m model_core finetune --extra` reads (it keeps the rows of models with the same labels "
        f"as the one it tunes). A `{NOT_A_DIGIT}` correction is label -1; the pixels are the 28×28 made by "
        "that row's model's recipe. A text correction gives a row a character when its text has as many "
        "characters as the reading found (spaces aside), none otherwise. `kind=text`: the text corrections, "
        "`id,true_text,predicted_text,model,image`.",
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
        text = query.validated_data["kind"] == "text"
        export = selectors.feedback_text_lines if text else selectors.feedback_csv_lines
        lines = export(reviewed_only=only, model=query.validated_data.get("model"))
        response = StreamingHttpResponse(lines, content_type="text/csv")
        name = "feedback-text.csv" if text else "feedback.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
