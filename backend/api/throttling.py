from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class ConfigurableAnonThrottle(AnonRateThrottle):
    """Per-client rate limit by the view's `throttle_scope`, rates read from settings at request
    time (so they follow the environment and test overrides)."""

    def __init__(self):  # the rate depends on the view, known only in allow_request
        pass

    def get_rate(self):
        scope = getattr(self.view, "throttle_scope", "default")
        self.scope = scope
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(scope)

    def allow_request(self, request, view):
        self.view = view
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
