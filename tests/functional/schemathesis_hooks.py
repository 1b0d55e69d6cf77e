"""schemathesis hooks of tests/functional/test_api_schemathesis.py (SCHEMATHESIS_HOOKS).

`schema_valid_input_not_refused_as_malformed`: the API refuses a business rule with 400 and a
field map (documented in the schema), which `positive_data_acceptance` cannot tell from a
serializer refusing input the schema allows (a length, a format, a range the schema does not
state). DRF's own field-validation messages say exactly that, so a 400 to a schema-valid request
that carries one of them means the schema and the serializer disagree."""
from __future__ import annotations

import re

import schemathesis


def _drf_messages() -> re.Pattern:
    import django

    django.setup()
    from rest_framework import fields, relations, serializers

    templates: set[str] = set()
    for module in (fields, relations, serializers):
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, fields.Field):
                for klass in obj.__mro__:
                    for message in getattr(klass, "default_error_messages", {}).values():
                        templates.add(str(message))
    from django.core import validators

    for name in ("MaxLengthValidator", "MinLengthValidator", "MaxValueValidator", "MinValueValidator",
                 "RegexValidator", "DecimalValidator"):
        validator = getattr(validators, name)
        for message in [getattr(validator, "message", None), *getattr(validator, "messages", {}).values()]:
            if message:
                templates.add(str(message))
    parts = []
    for template in sorted(t for t in templates if t.strip()):
        escaped = re.escape(template)
        escaped = re.sub(r"\\\{[^}]*\\\}|%\\\([a-z_]+\\\)[sd]", ".*", escaped)
        parts.append(f"^{escaped}$")
    return re.compile("|".join(parts), re.DOTALL)


_MESSAGES = None


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _strings(item)


_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
               "object": (dict,), "array": (list,)}


def _declared_properties(case) -> dict:
    """The properties of the operation's JSON request body, as the schema declares them."""
    try:
        content = case.operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]
        root = case.operation.schema.raw_schema
        while "$ref" in content:
            content = root["components"]["schemas"][content["$ref"].rsplit("/", 1)[-1]]
        return content.get("properties", {})
    except (KeyError, AttributeError, TypeError):
        return {}


def _sent_as_declared(sent: dict, field: str, declared: dict) -> bool:
    """Whether the value sent for `field` has the JSON type the schema declares (the generator
    labels a case positive as a whole; a value of another type is not schema-valid input)."""
    if field not in sent or field not in declared:
        return True
    value, kind = sent[field], declared[field].get("type")
    if value is None or kind not in _JSON_TYPES:
        return True
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _JSON_TYPES[kind])


@schemathesis.check
def schema_valid_input_not_refused_as_malformed(ctx, response, case):
    global _MESSAGES
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    if any(component.mode.is_negative for component in meta.components.values()):
        return None
    try:
        from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

        if is_unexpected_http_status_case(case):
            return None
    except ImportError:  # pragma: no cover - older schemathesis
        pass
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - not JSON: status and content-type checks report it
        return None
    if _MESSAGES is None:
        _MESSAGES = _drf_messages()
    declared = _declared_properties(case)
    sent = case.body if isinstance(case.body, dict) else {}
    found = sorted({m for field, messages in (body.items() if isinstance(body, dict) else [])
                    if _sent_as_declared(sent, field, declared)
                    for m in _strings(messages) if _MESSAGES.match(m)})
    if found:
        raise AssertionError("The serializer refused input the schema allows: " + "; ".join(found))
    return None
