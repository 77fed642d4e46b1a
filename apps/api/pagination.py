from __future__ import annotations

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Opaque cursors: stable under inserts, so a client paging through runs while new
    runs start never sees one twice or misses one. ``limit`` sets the page size."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "limit"
    ordering = "-id"


class NewestFirst(Cursor):
    ordering = ("-created_at", "-id")


class ByName(Cursor):
    ordering = ("name", "id")
