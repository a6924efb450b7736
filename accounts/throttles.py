"""API rate limits, counted in the shared cache so every server process sees the same count. Anonymous
requests are DRF's AnonRateThrottle (per address, its own low rate)."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
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


class AddressRateThrottle(SimpleRateThrottle):
    """Per client address, whoever is asking: many tokens from one address still share one rate."""

    scope = "address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
