"""Validates values against the JSON Schemas of an exported contract.

Only the subset `cleave contract export` emits for this module's Zod schemas (objects,
strings with lengths, enums and consts, integers, binary). Written here because the
standard library has no JSON Schema validator and this service takes nothing else.
"""


def validate(schema: dict, value, path: str = ""):
    """A list of field errors ({path, message, code}), empty when the value conforms."""
    errors = []
    kind = schema.get("type")
    if schema.get("format") == "binary":
        if not isinstance(value, (bytes, bytearray)):
            return [{"path": path, "message": "expected bytes", "code": "custom"}]
        if len(value) < schema.get("minBytes", 0):
            errors.append({"path": path, "message": f"must have at least {schema['minBytes']} bytes", "code": "custom"})
        if "maxBytes" in schema and len(value) > schema["maxBytes"]:
            errors.append({"path": path, "message": f"must have at most {schema['maxBytes']} bytes", "code": "custom"})
        return errors
    if "const" in schema and value != schema["const"]:
        return [{"path": path, "message": f"expected {schema['const']!r}", "code": "invalid_value"}]
    if "enum" in schema and value not in schema["enum"]:
        return [{"path": path, "message": f"expected one of {', '.join(map(str, schema['enum']))}", "code": "invalid_value"}]
    if kind == "object":
        if not isinstance(value, dict):
            return [{"path": path, "message": "expected an object", "code": "invalid_type"}]
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append({"path": join(path, name), "message": "required", "code": "invalid_type"})
        for name, item in value.items():
            if name in props:
                errors.extend(validate(props[name], item, join(path, name)))
            elif schema.get("additionalProperties") is False:
                errors.append({"path": join(path, name), "message": f'unrecognized key "{name}"', "code": "unrecognized_keys"})
    elif kind == "string":
        if not isinstance(value, str):
            return [{"path": path, "message": "expected a string", "code": "invalid_type"}]
        if len(value) < schema.get("minLength", 0):
            errors.append({"path": path, "message": f"must have at least {schema['minLength']} characters", "code": "too_small"})
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append({"path": path, "message": f"must have at most {schema['maxLength']} characters", "code": "too_big"})
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [{"path": path, "message": "expected an integer", "code": "invalid_type"}]
    return errors


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
