"""What the endpoints of every domain share: the documented error answers, an endpoint taking
JSON or a multipart form, a batch's envelope, the example image."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.views import APIView

from .serializers import ErrorSerializer

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


def one_or_batch_responses(
    output: type[serializers.Serializer], batch: type[serializers.Serializer], component: str, what: str
) -> dict:
    """The answers of an endpoint that reads one image or a batch: 200 with one `output` or
    `{results: [...]}`, and the errors every reading endpoint may answer."""
    either = PolymorphicProxySerializer(
        component_name=component, serializers=[output, batch], resource_type_field_name=None
    )
    return {
        200: OpenApiResponse(either, description=f"One {what}; for a batch (`images`), `{{results: [...]}}` in order."),
        **errors(400, 403, 405, 413, 415, 422, 429, 503),
    }
