"""drf-spectacular: how the bearer token appears in the OpenAPI document."""

from __future__ import annotations

import inspect

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An API token (`fs_…`), created in the dashboard or with "
                               "`manage.py create_api_token`. It acts in one organization with one role."}


class FarsideAutoSchema(AutoSchema):
    """Documents the errors every operation with a body can answer besides its own (415
    for a body that is not JSON), and keeps ApiView's docstring, which is for Farside's
    developers, out of the API reference."""

    def get_description(self) -> str:
        own_doc = self.view.__class__.__dict__.get("__doc__")
        method_doc = getattr(getattr(self.view, self.method.lower(), None), "__doc__", None)
        return inspect.cleandoc(method_doc or own_doc or "")

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation and "requestBody" in operation:
            operation["responses"].setdefault("415", {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                "description": "The body is not JSON (send Content-Type: application/json).",
            })
        return operation
