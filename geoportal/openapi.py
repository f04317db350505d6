"""The OpenAPI document of ``/api/v1/`` (drf-spectacular): one error shape for every
operation, tags by resource, and the stateful links an integrator (and schemathesis) follows.

Every operation gets its possible error answers from one rule set here instead of a list per
view: 400 (field errors) where it takes parameters or a body, 401 where it needs a signed-in
caller, 403 and 429 everywhere (a bad token or API key is refused on any call; every caller is
rate limited), 404 where the path names an object, 409 on writes (a transition or vote that the
object's state does not allow). A view adds or overrides codes with ``extend_schema``."""
from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions

from .api_contract import ERROR_DESCRIPTIONS, ERROR_REF, TAGS_BY_SEGMENT, WRITE_METHODS


class GeoportalAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        tags = super().get_tags()
        segment = self.path.removeprefix("/api/v1/").split("/", 1)[0].split(".", 1)[0]
        return [TAGS_BY_SEGMENT[segment]] if segment in TAGS_BY_SEGMENT else tags

    def _is_public(self) -> bool:
        return any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str,
                      registry: Any) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        method = method.upper()
        in_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        in_path = any(p.get("in") == "path" for p in operation.get("parameters", []))
        codes = {"403", "429"}
        if method in WRITE_METHODS or in_query or in_path:
            codes.add("400")
        if method in WRITE_METHODS or not self._is_public():
            codes.add("401")
        if in_path:
            codes.add("404")
        if method in WRITE_METHODS:
            codes.add("409")
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code],
                                        "content": {"application/json": {"schema": ERROR_REF}}})
        return operation


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: OpenAPI links from a created appeal to what can be done with it
    next (read it, its timeline and messages, act on it). Schemathesis's stateful tests and
    integrators' tools follow them."""
    paths = result.get("paths", {})
    created = paths.get("/api/v1/appeals/", {}).get("post", {}).get("responses", {}).get("201")
    if created is None:
        return result
    links: dict[str, Any] = {}
    for target_path, target in paths.items():
        if not target_path.startswith("/api/v1/appeals/{id}/"):
            continue
        for method, operation in target.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            name = operation["operationId"]
            links[name] = {"operationId": name, "parameters": {"id": "$response.body#/id"},
                           "description": f"{method.upper()} {target_path} on the created appeal."}
    created["links"] = dict(sorted(links.items()))
    return result
