"""``search_read`` paged by record id, shared by the ERPs that speak it (Odoo, Tryton)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .base import Connector


class KeysetSearchRead(Connector):
    """A ``<type>.search_read`` operation paged by ``id > last id`` rather than offsets, so
    pages stay stable while records are created or deleted between them. Subclasses
    implement ``_page(args, after_id, limit)`` returning rows ordered by id."""

    PAGE = 500  # rows per request when streaming, and the largest `limit` one call may ask for
    _page: Any  # (args, after_id, limit) -> rows ordered by id; each ERP makes its own call

    def _run_search_read(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = args.get("limit", 100)
        rows = self._page(args, int(args.get("cursor", 0)), limit)
        return {"results": rows, "next_cursor": str(rows[-1]["id"]) if len(rows) == limit else None}

    def iterate(self, name: str, args: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        if name != f"{self.type}.search_read":
            yield from super().iterate(name, args)
            return
        after = int(args.get("cursor", 0))
        while True:
            rows = self._page(args, after, self.PAGE)
            yield from rows
            if len(rows) < self.PAGE:
                return
            after = rows[-1]["id"]
