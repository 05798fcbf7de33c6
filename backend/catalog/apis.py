"""GET /api/display-images/ (MNIST's and EMNIST's samples) and GET /api/model-info/ (the
model card): each endpoint's InputSerializer, OutputSerializer and one selector call."""

from __future__ import annotations

import secrets

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.apis import TINY_PNG, errors
from backend.common.serializers import (
    FormIntegerField,
    QuerySerializer,
    label_field,
    model_name_field,
)
from model_core.serving import LABELS

from . import selectors
from .serializers import ModelInfoSerializer

SAMPLE_LABEL = r"^(?:[0-9A-Z]|[abdefghnqrt])$"  # one of the 47


# --- GET /api/display-images/ ----------------------------------------------------------------


class DisplayImagesApi(APIView):
    throttle_scope = "samples"

    class InputSerializer(QuerySerializer):
        count = FormIntegerField(required=False, default=12, min_value=1, max_value=100)
        dataset = serializers.ChoiceField(
            choices=["mnist", "emnist"],
            required=False,
            default="mnist",
            help_text="mnist: MNIST's digits (train, test, and validation: the 5,000 training images the digit "
            "models held out); emnist: EMNIST's 47 handwritten characters (the parts train, validation, test of "
            "the split the characters model was trained on).",
        )
        digit = FormIntegerField(required=False, min_value=0, max_value=9, help_text="Only this digit.")
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
        seed = FormIntegerField(required=False, min_value=0, max_value=2**63 - 1, help_text="Same seed, same samples.")
        balanced = serializers.ChoiceField(
            choices=["true", "false"],
            required=False,
            help_text="true: drawn evenly over the labels; false: in the split's own mix. Default: true for emnist "
            "(its split holds digits by ByMerge's proportions, most of a draw), false for mnist.",
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
        balanced = {"true": True, "false": False}.get(q.get("balanced"))
        images = selectors.sample_list(
            count=q["count"], label=q["label"], split=q["split"], seed=seed, dataset=q["dataset"], balanced=balanced
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
