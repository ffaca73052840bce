"""Touches to the generated OpenAPI document, so it says what the API really answers.

apiflask wraps every documented response in the success envelope; failures
are not wrapped (api.md): each 4xx/5xx is pointed at the one error envelope.
Path ids are UUIDs (Flask's ``uuid`` converter), so they are declared so.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask

from web.envelope import ERROR_SCHEMA

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def install(app: APIFlask) -> None:
    @app.spec_processor
    def tidy(spec: dict[str, Any]) -> dict[str, Any]:
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        schemas.pop("HTTPError", None)
        schemas.pop("ValidationError", None)
        for item in spec.get("paths", {}).values():
            for operation in item.values():
                _tidy_operation(operation)
        return spec


def _tidy_operation(operation: dict[str, Any]) -> None:
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True  # an empty body is not JSON
    for status, response in operation.get("responses", {}).items():
        if str(status)[0] in "45":
            response["content"] = {"application/json": {"schema": ERROR_REF}}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"].endswith("_id"):
            parameter["schema"] = {"type": "string", "format": "uuid"}
