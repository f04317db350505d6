"""The OpenAPI document of ``/api/v1/`` (drf-spectacular): one error shape for every
operation, tags by resource, and the stateful links an integrator (and schemathesis) follows.

Every operation gets its possible error answers from one rule set here instead of a list per
view: 400 (field errors) where it takes parameters or a body, 401 where it needs a signed-in
caller, 403, 429 and 503 everywhere (a bad token is refused on any call; every caller is rate
limited; a lost database or a saturated server sheds the request), 404 where the path names an
object, 409, 413 and 415 on writes (a transition or vote that the object's state does not allow;
a body over its cap, geoportal.resilience). A view adds or overrides codes with ``extend_schema``."""
from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions

from .api_contract import ERROR_DESCRIPTIONS, ERROR_REF, TAGS_BY_SEGMENT, WRITE_METHODS


def error(description: str) -> OpenApiResponse:
    """An error answer a view documents itself (beyond the rule set), in the shared shape."""
    return OpenApiResponse(response=ERROR_REF, description=description)


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
        paginated = any(p.get("in") == "query" and p.get("name") in ("page", "offset")
                        for p in operation.get("parameters", []))
        codes = {"403", "429", "503"}
        if method in WRITE_METHODS or in_query or in_path:
            codes.add("400")
        if method in WRITE_METHODS or not self._is_public():
            codes.add("401")
        if in_path or paginated:  # a page past the end is a 404 too (DRF's pagination)
            codes.add("404")
        if method in WRITE_METHODS:
            codes.update(("409", "413", "415"))
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code],
                                        "content": {"application/json": {"schema": ERROR_REF}}})
        return operation


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: GeoJSON pages as the pagination sends them; links."""
    _geojson_pages(result)
    _unlocated_features(result)
    _views_as_any_of(result)
    _add_links(result)
    return result


def _geojson_pages(result: dict[str, Any]) -> None:
    """rest_framework_gis's GeoJsonPagination puts the features' list itself under
    ``features`` (next to count/next/previous); drf-spectacular describes a whole
    FeatureCollection there. Point ``features`` at the collection's array of features."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        features = component.get("properties", {}).get("features", {})
        ref = features.get("$ref", "")
        if name.startswith("Paginated") and ref.startswith("#/components/schemas/"):
            collection = schemas.get(ref.rsplit("/", 1)[1], {})
            if "features" in collection.get("properties", {}):
                component["properties"]["features"] = collection["properties"]["features"]
                component["required"] = ["count", "features"]


def _unlocated_features(result: dict[str, Any]) -> None:
    """A GeoJSON Feature's geometry may be null (RFC 7946 §3.2: an unlocated feature, e.g. an
    appeal taken by phone without a place); rest_framework_gis's schema says it never is."""
    for component in result.get("components", {}).get("schemas", {}).values():
        properties = component.get("properties", {})
        if "geometry" in properties and "properties" in properties and "$ref" not in properties["geometry"]:
            properties["geometry"]["nullable"] = True


def _views_as_any_of(node: Any) -> None:
    """Views of one object for different callers (an appeal in full for its author, public for
    others) come from a PolymorphicProxySerializer without a discriminator, which drf-spectacular
    writes as oneOf. A fuller view also matches the public one, so a full answer would match
    both and break oneOf: the document says anyOf."""
    if isinstance(node, dict):
        members = node.get("oneOf")
        if (isinstance(members, list) and members and "discriminator" not in node
                and all(isinstance(m, dict) and "$ref" in m and not m["$ref"].endswith("Enum") for m in members)):
            node["anyOf"] = node.pop("oneOf")
        for value in node.values():
            _views_as_any_of(value)
    elif isinstance(node, list):
        for value in node:
            _views_as_any_of(value)


def _add_links(result: dict[str, Any]) -> None:
    """OpenAPI links from a created appeal to what can be done with it next (read it, its
    timeline and messages, act on it). Schemathesis's stateful tests and integrators' tools
    follow them."""
    paths = result.get("paths", {})
    created = paths.get("/api/v1/appeals/", {}).get("post", {}).get("responses", {}).get("201")
    if created is None:
        return
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
