"""django-csp's middleware, with the site's own policy headers built once per process.

django-csp builds the policy string from the settings on every response (a copy of its directive table, a
dataclass turned into a dict, the string joined) for the enforcing header and again for the report-only one;
on the API's hot path that cost a tenth of a bare request. Most responses ask for nothing of their own (no
per-view config, update or replace, no nonce used), so their headers are the settings' alone and the same
every time: those are built once and reused until the settings change. Any other response goes through
django-csp unchanged."""

from functools import lru_cache
from http import HTTPStatus

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view sets on its response to change its policy (csp.decorators); any of them: django-csp decides.
PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
# (header, the setting holding its policy, the response flag that exempts a response from it)
HEADERS = ((HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
           (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"))


@lru_cache(maxsize=1)
def _site_policies() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(header, its value from the settings alone, the exempting flag, the excluded URL prefixes) per header set."""
    found = []
    for (header, setting, exempt), report_only in zip(HEADERS, (False, True)):
        value = build_policy(report_only=report_only)
        if value:
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            found.append((header, value, exempt, prefixes))
    return tuple(found)


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _site_policies.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(self, request, response):
        own = getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in PER_RESPONSE)
        if own:
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.NOT_FOUND):
            return response  # django-csp leaves Django's debug pages alone
        for header, value, exempt, prefixes in _site_policies():
            if header not in response and not getattr(response, exempt, False) \
                    and not request.path_info.startswith(prefixes):
                response[header] = value
        # As django-csp does: a nonce asked for after the header is written would not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
