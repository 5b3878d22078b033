"""JSON values that validate against a response schema: Gemini's OpenAPI-style ``Schema`` (``type: "OBJECT"``,
``nullable``, ``propertyOrdering``...) or a JSON Schema (``responseJsonSchema``: lower-case types, ``$ref``/``$defs``,
``anyOf``/``oneOf``/``allOf``, ``const``, type lists). Both spellings of keys (camelCase and snake_case) are read.

>>> import random
>>> schema = {"type": "OBJECT", "properties": {"label": {"type": "STRING", "enum": ["pos", "neg"]},
...           "score": {"type": "NUMBER", "minimum": 0, "maximum": 1}}, "required": ["label"]}
>>> value = generate(schema, random.Random(0), words=["great"])
>>> sorted(value), value["label"] in ("pos", "neg"), 0 <= value["score"] <= 1
(['label', 'score'], True, True)
"""

from __future__ import annotations

import math
import random
from typing import Any

_MAX_DEPTH = 8
_STRING_FORMATS = {
    "date-time": "2026-11-22T12:00:00Z",
    "date": "2026-11-22",
    "time": "12:00:00",
    "email": "someone@example.com",
    "uri": "https://example.com/item",
    "url": "https://example.com/item",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
}
_FALLBACK_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")


def _get(schema: dict[str, Any], camel: str, snake: str | None = None) -> Any:
    value = schema.get(camel)
    if value is None and snake is not None:
        value = schema.get(snake)
    return value


def generate(schema: dict[str, Any], rng: random.Random, words: list[str], root: dict[str, Any] | None = None) -> Any:
    """A value valid under ``schema``; ``words`` (e.g. from the prompt) flavour the strings."""
    return _Generator(rng, words or list(_FALLBACK_WORDS), root or schema).value(schema, 0)


class _Generator:
    def __init__(self, rng: random.Random, words: list[str], root: dict[str, Any]) -> None:
        self._rng = rng
        self._words = words
        self._root = root

    def value(self, schema: dict[str, Any], depth: int) -> Any:
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if enum:
            return self._rng.choice(enum)
        all_of = _get(schema, "allOf", "all_of")
        if all_of:
            return self.value(_merge(schema, [self._resolve(s) for s in all_of]), depth)
        choices = _get(schema, "anyOf", "any_of") or schema.get("oneOf")
        if choices:
            non_null = [s for s in choices if _type_of(self._resolve(s)) != "null"] or choices
            # oneOf must match exactly one branch; the first non-null one is the safest pick
            branch = non_null[0] if "oneOf" in schema else self._rng.choice(non_null)
            return self.value(branch, depth)
        kind = _type_of(schema)
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind == "string":
            return self._string(schema)
        if kind == "integer":
            return int(self._number(schema, integer=True))
        if kind == "number":
            return self._number(schema, integer=False)
        if kind == "boolean":
            return self._rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if not ref:
            return schema
        # local references only ("#/$defs/Item", "#/definitions/Item"), as pydantic emits
        node: Any = self._root
        for key in ref.lstrip("#/").split("/"):
            node = node[key.replace("~1", "/").replace("~0", "~")]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        return {**node, **extra} if extra else node

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        ordering = _get(schema, "propertyOrdering", "property_ordering") or list(properties)
        names = [name for name in ordering if name in properties] + [n for n in properties if n not in ordering]
        result: dict[str, Any] = {}
        for name in names:
            if depth >= _MAX_DEPTH and name not in required:
                continue
            result[name] = self._named_value(name, properties[name], depth + 1)
        return result

    def _named_value(self, name: str, schema: dict[str, Any], depth: int) -> Any:
        resolved = self._resolve(schema)
        if _type_of(resolved) == "string" and not resolved.get("enum") and "const" not in resolved:
            return self._string(resolved, hint=name)
        return self.value(resolved, depth)

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        low = int(_get(schema, "minItems", "min_items") or 0)
        high_raw = _get(schema, "maxItems", "max_items")
        high = int(high_raw) if high_raw is not None else max(low, 3)
        count = 0 if depth >= _MAX_DEPTH else self._rng.randint(max(low, min(1, high)), max(low, min(high, 3)))
        count = max(count, low)
        prefix = _get(schema, "prefixItems", "prefix_items") or []
        items = schema.get("items")
        item_schema = items if isinstance(items, dict) else {}
        result = [self.value(prefix[i], depth + 1) for i in range(min(count, len(prefix)))]
        result += [self.value(item_schema, depth + 1) for _ in range(count - len(result))]
        if schema.get("uniqueItems") and len({repr(v) for v in result}) != len(result):
            result = result[:1]
        return result

    def _string(self, schema: dict[str, Any], hint: str | None = None) -> str:
        fmt = schema.get("format")
        if fmt in _STRING_FORMATS:
            return _STRING_FORMATS[fmt]
        word = self._rng.choice(self._words)
        text = f"{hint.replace('_', ' ')}: {word}" if hint else word
        low = int(_get(schema, "minLength", "min_length") or 0)
        high = _get(schema, "maxLength", "max_length")
        if len(text) < low:
            text = (text + " ") * (low // (len(text) + 1) + 1)
        if high is not None:
            text = text[: int(high)]
        return text.ljust(low, "x")

    def _number(self, schema: dict[str, Any], *, integer: bool) -> float:
        low = schema.get("minimum")
        high = schema.get("maximum")
        exclusive_low = _get(schema, "exclusiveMinimum", "exclusive_minimum")
        exclusive_high = _get(schema, "exclusiveMaximum", "exclusive_maximum")
        # JSON Schema draft 6+ spells exclusive bounds as numbers; OpenAPI 3.0 as booleans next to minimum/maximum
        if isinstance(exclusive_low, (int, float)) and not isinstance(exclusive_low, bool):
            low = exclusive_low + (1 if integer else 1e-6)
        elif exclusive_low is True and low is not None:
            low = low + (1 if integer else 1e-6)
        if isinstance(exclusive_high, (int, float)) and not isinstance(exclusive_high, bool):
            high = exclusive_high - (1 if integer else 1e-6)
        elif exclusive_high is True and high is not None:
            high = high - (1 if integer else 1e-6)
        low = float(low) if low is not None else (0.0 if high is None or high >= 0 else float(high) - 100)
        high = float(high) if high is not None else low + 100
        if integer:
            return float(self._rng.randint(math.ceil(low), max(math.ceil(low), math.floor(high))))
        return round(self._rng.uniform(low, high), 2) if high - low > 0.02 else low


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if str(k).lower() != "null"]
        kind = non_null[0] if non_null else "null"
    return str(kind).lower() if kind else None


def _merge(schema: dict[str, Any], parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k not in ("allOf", "all_of")}
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            else:
                merged.setdefault(key, value)
    return merged
