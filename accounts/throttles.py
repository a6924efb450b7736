"""API rate limits, counted in the shared cache so every server process sees the same count. Anonymous
requests are DRF's AnonRateThrottle (per address, its own low rate).

The token and address limits count in fixed windows (core.cache.window_counts): DRF's own throttles keep a list
of every request's time per key and read and write it back whole on each request, two round trips per
throttle and a list of up to the rate's size pickled each time; here both counters of a request are one
atomic round trip, and each process reserves counts in blocks while the limit is far, so most requests make
none."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle

from core.cache import window_counts


class WindowRateThrottle(SimpleRateThrottle):
    """At most `num_requests` per window of `duration` seconds that opens at the key's first request."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.count, self.seconds_left = _counted(request, view)[self.key]
        return self.count <= self.num_requests

    def wait(self):
        return self.seconds_left


def _counted(request, view) -> dict[str, tuple[int, int]]:
    """The request's counts under every WindowRateThrottle of the view, counted together once per request."""
    counts = getattr(request, "_window_counts", None)
    if counts is None:
        windows = {}
        for throttle in view.get_throttles():
            if isinstance(throttle, WindowRateThrottle) and throttle.rate is not None:
                key = throttle.get_cache_key(request, view)
                if key is not None:
                    windows[key] = (throttle.duration, throttle.num_requests)
        counts = request._window_counts = window_counts(windows)
    return counts


class TokenRateThrottle(WindowRateThrottle):
    """Per token; per user for the pages' session requests (no token)."""

    scope = "token"

    def get_cache_key(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return None  # AnonRateThrottle counts these
        token_key = getattr(request.auth, "pk", None)
        # The key is a secret: the cache sees its hash only.
        ident = hashlib.sha256(str(token_key).encode()).hexdigest()[:32] if token_key else f"user-{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(WindowRateThrottle):
    """Per client address, whoever is asking: many tokens from one address still share one rate."""

    scope = "address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenMintRateThrottle(WindowRateThrottle):
    """Minting API tokens (POST /api/tokens/), per user whichever token or session asks: a leaked token cannot
    mint thousands, nor spread its count over the tokens it mints."""

    scope = "token_mint"

    def get_cache_key(self, request, view):
        user = request.user
        if request.method != "POST" or not (user and user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"user-{user.pk}"}
