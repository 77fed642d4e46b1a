from __future__ import annotations

import yaml
from rest_framework.renderers import BaseRenderer


class YamlRenderer(BaseRenderer):
    """For the YAML export (a ready string) and its error bodies (a dict)."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return text.encode()


class BinaryRenderer(BaseRenderer):
    """Accepts any media type for artifact downloads; the view returns the bytes itself."""

    media_type = "*/*"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        import json

        return json.dumps(data).encode()
