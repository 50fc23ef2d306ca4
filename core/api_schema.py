"""The error answers every API operation can give, documented once for the whole schema.

drf-spectacular documents what a view returns when all goes well; the errors come from shared
machinery (the key check, the throttles, the filters, the parsers, `get_object()`), so one hook
adds them wherever that machinery applies: 400 when the operation reads parameters or a body,
401 when it needs a key, 404 when it names an object or a page, 413 when it reads a body, and
429 everywhere (each key, and each address on the public endpoints, has a rate limit).
"""

from __future__ import annotations

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, in plain words."}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "description": (
        "Each malformed parameter or field, named, with a list of messages saying what to send instead "
        "(`detail` when the body itself cannot be read). A list of such objects when a list was sent."
    ),
    "oneOf": [{"type": "object", "additionalProperties": True}, {"type": "array", "items": {"type": "object"}}],
}
RETRY_AFTER = {"description": "Seconds to wait before the next call.", "schema": {"type": "integer"}}


def _error(description: str, schema_name: str = "Error") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


def _errors_of(operation: dict) -> dict:
    parameters = operation.get("parameters", [])
    names = {parameter["name"] for parameter in parameters}
    responses = {
        "429": {
            **_error("Too many calls; wait as long as `Retry-After` says."),
            "headers": {"Retry-After": RETRY_AFTER},
        }
    }
    if parameters or "requestBody" in operation:
        responses["400"] = _error("A parameter or field is malformed or refused.", "ValidationError")
    if any(requirement for requirement in operation.get("security", [])):
        responses["401"] = _error("No API key, or a key that is unknown or revoked.")
    if "page" in names or any(parameter["in"] == "path" for parameter in parameters):
        responses["404"] = _error("No such object for this key's business, or no such page.")
    if "requestBody" in operation:
        responses["413"] = _error("The body is too large.")
    return responses


def document_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add the shared error answers to every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for status, response in _errors_of(operation).items():
                operation["responses"].setdefault(status, response)
    return result
