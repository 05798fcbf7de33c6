"""Thin views: validate with a serializer, call a service, shape the answer."""

from __future__ import annotations

import secrets

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .auth import FeedbackTokenAuthentication, ReadsNeedToken
from .serializers import (
    BatchPredictionSerializer,
    DisplayImagesQuerySerializer,
    DisplayImagesSerializer,
    ErrorSerializer,
    FeedbackJSONSerializer,
    FeedbackPageSerializer,
    FeedbackSerializer,
    FeedbackUploadSerializer,
    HealthSerializer,
    ModelInfoQuerySerializer,
    ModelInfoSerializer,
    PredictionSerializer,
    PredictJSONSerializer,
    PredictUploadSerializer,
    ReadinessSerializer,
)

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
        403: "Not allowed.",
        400: "Invalid input (malformed JSON, missing or conflicting fields, undecodable image).",
        405: "Method not allowed.",
        413: "Request body or image too large (bytes or pixels).",
        415: "Unsupported content type or image format.",
        422: "Nothing drawn: the image has no distinguishable ink.",
        429: "Too many requests; retry after the number of seconds in Retry-After.",
        503: "The model is not loaded.",
    }
    return {s: OpenApiResponse(ErrorSerializer, description=described[s]) for s in statuses}


class PredictDigitView(APIView):
    parser_classes = [JSONParser, MultiPartParser]
    throttle_scope = "predict"

    @extend_schema(
        operation_id="predict_digit",
        summary="Recognise a digit (or a batch)",
        description=(
            "Send one image as JSON `image` (a canvas data URL or base64), JSON `pixels`, a multipart file "
            "`image` (alias `file`), or a batch as JSON `images`. Every input is preprocessed the way MNIST "
            "was made (cropped to the ink, fitted to 20×20, centred by mass in 28×28; dark-on-light is "
            "inverted), and `processed_image` shows the result. A batch answers `{results: [...]}`."
        ),
        request={"application/json": PredictJSONSerializer, "multipart/form-data": PredictUploadSerializer},
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="PredictionOrBatch",
                    serializers=[PredictionSerializer, BatchPredictionSerializer],
                    resource_type_field_name=None,
                ),
                description="One prediction; for a batch (`images`), `{results: [...]}` in order.",
            ),
            **errors(400, 405, 413, 415, 422, 429, 503),
        },
        examples=[
            OpenApiExample("Canvas data URL", value={"image": TINY_PNG, "top_k": 3}, request_only=True),
            OpenApiExample("Batch", value={"images": [TINY_PNG, TINY_PNG], "model": "mlp"}, request_only=True),
            OpenApiExample(
                "Prediction",
                response_only=True,
                value={
                    "prediction": "7",
                    "confidence": 0.998,
                    "probabilities": [0.0, 0.0, 0.001, 0.0, 0.0, 0.0, 0.0, 0.998, 0.0, 0.001],
                    "labels": [str(d) for d in range(10)],
                    "top_k": [{"label": "7", "probability": 0.998}, {"label": "2", "probability": 0.001}],
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
        if request.content_type.startswith("multipart/"):
            form = PredictUploadSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            sources = [form.validated_data["upload"].read()]
        else:
            form = PredictJSONSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            data = form.validated_data
            sources = data["images"] if "images" in data else [data.get("image", data.get("pixels"))]
        results = services.predict(sources, form.validated_data.get("model"), form.validated_data["top_k"])
        # services.predict builds exactly PredictionSerializer's fields (the schema tests hold it
        # to that), so the answer goes out as is rather than being copied field by field again.
        return Response({"results": results} if "images" in form.validated_data else results[0])


class DisplayImagesView(APIView):
    throttle_scope = "samples"

    @extend_schema(
        operation_id="display_images",
        summary="Random MNIST samples",
        parameters=[DisplayImagesQuerySerializer],
        responses={200: DisplayImagesSerializer, **errors(400, 405, 429)},
        examples=[
            OpenApiExample(
                "Samples",
                response_only=True,
                value={"seed": 42, "images": [{"id": 1234, "label": "3", "split": "test", "image": TINY_PNG}]},
            )
        ],
    )
    def get(self, request):
        query = DisplayImagesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        seed = q.get("seed", secrets.randbits(31))
        images = services.display_images(q["count"], q.get("digit"), q["split"], seed)
        return Response(DisplayImagesSerializer({"seed": seed, "images": images}).data)


class ModelInfoView(APIView):
    @extend_schema(
        operation_id="model_info",
        summary="The model card",
        description="Architecture, parameters, labels, data checksums, training history and test metrics.",
        parameters=[ModelInfoQuerySerializer],
        responses={200: ModelInfoSerializer, **errors(400, 405, 429, 503)},
    )
    def get(self, request):
        query = ModelInfoQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(ModelInfoSerializer(services.model_card(query.validated_data.get("model"))).data)


class HealthView(APIView):
    throttle_classes = []

    @extend_schema(operation_id="health", summary="Liveness", responses={200: HealthSerializer, **errors(405)})
    def get(self, request):
        return Response({"status": "ok"})


class ReadinessView(APIView):
    throttle_classes = []

    @extend_schema(
        operation_id="readiness",
        summary="Readiness: is the default model loaded?",
        responses={200: ReadinessSerializer, 503: ReadinessSerializer, **errors(405)},
    )
    def get(self, request):
        state = services.readiness()
        return Response(ReadinessSerializer(state).data, status=200 if state["ready"] else 503)


class FeedbackPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class FeedbackView(APIView):
    authentication_classes = [FeedbackTokenAuthentication]
    permission_classes = [ReadsNeedToken]
    parser_classes = [JSONParser, MultiPartParser]
    throttle_scope = "feedback"

    @extend_schema(
        operation_id="feedback_create",
        summary="Correct a prediction",
        description="Store the drawing (same input forms as predict-digit) with the label it really has. "
        "The 28×28 network input is stored too. Acknowledged writes are durable.",
        request={"application/json": FeedbackJSONSerializer, "multipart/form-data": FeedbackUploadSerializer},
        responses={201: FeedbackSerializer, **errors(400, 405, 413, 415, 422, 429, 503)},
        examples=[
            OpenApiExample(
                "Correction",
                request_only=True,
                value={"image": TINY_PNG, "predicted_label": "1", "true_label": "7", "model": "cnn"},
            )
        ],
    )
    def post(self, request):
        serializer_class = (
            FeedbackUploadSerializer if request.content_type.startswith("multipart/") else FeedbackJSONSerializer
        )
        form = serializer_class(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        entry = services.save_feedback(
            data["source"], data["true_label"], data["predicted_label"], data.get("model"), data["model_version"]
        )
        return Response(FeedbackSerializer(entry).data, status=201)

    @extend_schema(
        operation_id="feedback_list",
        summary="List corrections (token required)",
        description="Send `Authorization: Bearer <FEEDBACK_READ_TOKEN>`. Newest first, paginated.",
        responses={200: FeedbackPageSerializer, **errors(401, 403, 405, 429)},
    )
    def get(self, request):
        paginator = FeedbackPagination()
        page = paginator.paginate_queryset(services.feedback_queryset(), request, view=self)
        return paginator.get_paginated_response(FeedbackSerializer(page, many=True).data)


class FeedbackExportView(APIView):
    authentication_classes = [FeedbackTokenAuthentication]
    permission_classes = [ReadsNeedToken]
    throttle_scope = "feedback"

    @extend_schema(
        operation_id="feedback_export",
        summary="Export corrections as MNIST-style CSV (token required)",
        description="Streams `label,pixel0,...,pixel783`, one row per correction, oldest first: the format "
        "`python -m model_core finetune --extra` reads.",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV rows."),
            **errors(401, 403, 405, 429),
        },
    )
    def get(self, request):
        response = StreamingHttpResponse(services.feedback_csv_lines(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="feedback.csv"'
        return response
