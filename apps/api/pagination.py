from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Opaque cursors: stable under inserts, so a client paging through runs while new
    runs start never sees one twice or misses one. ``limit`` sets the page size."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "limit"
    ordering = "-id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError({"limit": [f"a whole number from 1 to {self.max_page_size}"]})
        return int(raw)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": ["invalid cursor; use a next or previous link as given"]}) \
                from None


class NewestFirst(Cursor):
    ordering = ("-created_at", "-id")


class ByName(Cursor):
    ordering = ("name", "id")


_PAGES: dict[type, type] = {}


def page_of(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The documented shape of a cursor page of ``serializer_class`` items."""
    if serializer_class not in _PAGES:
        name = serializer_class.__name__.removesuffix("Serializer")
        _PAGES[serializer_class] = type(f"Paginated{name}List", (serializers.Serializer,), {
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last one."),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        })
    return _PAGES[serializer_class]


PAGE_PARAMS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                     description="The opaque cursor from a previous page's `next` or `previous` link."),
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 200}, OpenApiParameter.QUERY, required=False,
                     description="Items per page, 1 to 200 (default 50)."),
]
