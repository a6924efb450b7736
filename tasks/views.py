"""Item media: uploaded images and audio, streamed to those allowed to see them (selectors.item_media_allowed)."""

import mimetypes

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from core.ranges import ranged_file_response

from .models import Item
from .selectors import item_media_allowed

# Served inline only as media a browser cannot run: an SVG (scripts) or HTML is a download, never a page here.
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"}


def _inline(content_type: str) -> bool:
    return content_type in INLINE_IMAGE_TYPES or content_type.startswith("audio/")


class ItemMediaApi(APIView):
    """The item's uploaded file (image or audio), streamed with its content type. 404 for anyone who may not
    see it: the page's session or an integrator's token."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
                              (206, "application/octet-stream"): OpenApiResponse(
                                  OpenApiTypes.BINARY, description="The part a Range header asked for."),
                              416: OpenApiResponse(description="The Range asked for starts past the file's end."),
                              404: OpenApiResponse(description="No such item, no file, or not yours to see.")})
    def get(self, request, pk):
        item = Item.objects.filter(pk=pk).only("pk", "media", "project_id").first()
        # 404 rather than 403: whether an item exists is not for an outsider to learn.
        if item is None or not item.media or not item_media_allowed(user=request.user, item=item, token=request.auth):
            raise Http404("No such media.")
        content_type = mimetypes.guess_type(item.media.name)[0] or "application/octet-stream"
        inline = _inline(content_type)
        # In ranges: an audio item is seeked in by asking for the bytes from a point on (core/ranges.py).
        response = ranged_file_response(request, item.media.open("rb"), item.media.size, as_attachment=not inline,
                                        content_type=content_type if inline else "application/octet-stream")
        response["Cache-Control"] = "private, max-age=300"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"  # opened alone, it runs nothing
        return response
