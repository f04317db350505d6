"""How the OpenAPI document of ``/api/v1/`` describes the API keys (``open311.auth``): a
security scheme, so integrators' tools know to send ``X-Api-Key``. Loaded by the app config."""
from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "open311.auth.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                "description": "An API key issued by the portal (`manage.py api_key`); its own rate limit applies. "
                               "Also accepted as the `api_key` query parameter."}
