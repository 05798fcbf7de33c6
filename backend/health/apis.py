"""GET /api/health/ (liveness) and GET /api/ready/ (readiness)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.apis import errors
from backend.common.metrics import holds_metrics_token

from . import selectors

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
        status = serializers.ChoiceField(
            choices=["ok", "degraded", "busy", "not_ready"],
            help_text="degraded: predictions are answered, but a dependency is out (see checks). busy (answered "
            "by the server's master, which never waits behind predictions): every worker holds a request, so "
            "predictions queue; still ready.",
        )
        detail = serializers.CharField()
        models_loaded = serializers.ListField(child=serializers.CharField())
        workers_alive = serializers.IntegerField(
            required=False,
            help_text="Workers whose heartbeat is within the timeout (from the master; absent when a worker answers).",
        )
        workers_busy = serializers.IntegerField(required=False, help_text="Of them, those holding a request now.")
        checks = serializers.DictField(
            child=serializers.CharField(),
            help_text='"ok" or "unavailable", for the model, the database (corrections) and the cache and Redis '
            "(shared throttle counts; without them each server counts alone, predictions go on). With the "
            "METRICS_TOKEN as a bearer token, what is wrong.",
        )

        class Meta:
            ref_name = "Readiness"

    @extend_schema(
        operation_id="readiness",
        summary="Readiness: are the models loaded?",
        responses={200: OutputSerializer, 503: OutputSerializer, **errors(405)},
    )
    def get(self, request):
        state = selectors.readiness(details=holds_metrics_token(request))
        return Response(self.OutputSerializer(state).data, status=200 if state["ready"] else 503)
