"""Outputs as JSON, restored as the same types.

An item's output can be anything a strategy returns: a string, a dict, a pydantic model, a ``GeminiResponse``
dataclass wrapping a pydantic model, ... :func:`encode` turns it into JSON text in which every non-JSON value is a
tagged node ``{"__nl__": "<module>:<qualname>", "v": ...}``; :func:`decode` imports the tagged types back.

How a type is handled, first match wins:

1. a codec registered for the type (or a base class) with :func:`register_codec` — for types that are neither
   pydantic models nor dataclasses;
2. pydantic models (anything with ``model_dump`` / ``model_validate``): ``model_dump(mode="json")``, restored
   with ``model_validate``. This covers the google-genai response types too, without importing google-genai;
3. dataclasses: field by field, each field encoded recursively, so ``GeminiResponse(output=Book(...))`` comes back
   with a ``Book`` inside. This is why the store needs no import of ``notebookllm.gemini``: duck typing covers
   its types, and the registry stays open for anything else;
4. tuples, enums, and the JSON types themselves; other mappings (``mappingproxy``, ``OrderedDict``) come back as
   dicts.

Anything else raises :class:`UnstorableOutputError` (the result is then kept in memory only).

Example:
    >>> from datetime import date
    >>> decode(encode({"when": date(2026, 11, 22), "pair": (1, 2)}))
    {'when': datetime.date(2026, 11, 22), 'pair': (1, 2)}
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import functools
import importlib
import json
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

__all__ = ["UnstorableOutputError", "decode", "encode", "from_jsonable", "register_codec", "to_jsonable"]

_TAG = "__nl__"
_JSON_SCALARS = (str, int, float, bool, type(None))
_SCALAR_TYPES = frozenset(_JSON_SCALARS)  # exact types only: a subclass (an enum, ``class Label(str)``) is tagged
# A result's metadata is a read-only view: taken as a dict at once, not after the type checks below (13 -> 7 µs a row).
_DICT_TYPES = frozenset((dict, MappingProxyType))

_Encoder = Callable[[Any], Any]
_Decoder = Callable[[Any], Any]
_registry: dict[type, tuple[_Encoder, _Decoder]] = {}


class UnstorableOutputError(TypeError):
    """An output (or a value inside it) has a type the store cannot write as JSON."""


def register_codec(cls: type, encode: _Encoder, decode: _Decoder) -> None:
    """Teach the store a type that is neither a pydantic model nor a dataclass.

    ``encode(value)`` must return JSON-compatible data (or values this module can encode), ``decode(data)`` the
    value again. Subclasses of ``cls`` use the same codec unless they have their own.

    Example:
        >>> import uuid
        >>> register_codec(uuid.UUID, str, uuid.UUID)
    """
    _registry[cls] = (encode, decode)


# Built once: json.dumps/loads with arguments build a new encoder on every call, a third of a row's cost.
_json_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_json_decode = json.JSONDecoder().decode


def encode(value: Any) -> str:
    """``value`` as compact JSON text with type tags (see the module docstring)."""
    return _json_encode(to_jsonable(value))


def decode(text: str) -> Any:
    """The value :func:`encode` wrote, as the same types. Raises if a tagged type can no longer be imported."""
    return from_jsonable(_json_decode(text))


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON data with type tags; the tree :func:`encode` serialises."""
    if isinstance(value, _JSON_SCALARS) and type(value) in _JSON_SCALARS:
        return value
    # Scalars inline rather than through a call each: a result row's metadata is mostly scalars.
    if type(value) is list:
        return [v if type(v) in _SCALAR_TYPES else to_jsonable(v) for v in value]
    if type(value) in _DICT_TYPES:
        if all(type(k) is str for k in value) and _TAG not in value:
            return {k: v if type(v) in _SCALAR_TYPES else to_jsonable(v) for k, v in value.items()}
        # Non-string keys (or our tag as a key) would not survive JSON objects: keep them as pairs.
        return _tagged(dict, [[to_jsonable(k), to_jsonable(v)] for k, v in value.items()])
    cls = type(value)
    codec = _find_codec(cls)
    if codec is not None:
        return _tagged(cls, to_jsonable(codec[0](value)))
    if hasattr(value, "model_dump") and hasattr(cls, "model_validate"):
        return _tagged_pydantic(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _tagged(cls, {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, enum.Enum):
        return _tagged(cls, to_jsonable(value.value))
    if cls is tuple:
        return _tagged(tuple, [to_jsonable(v) for v in value])
    if isinstance(value, Mapping):  # a read-only view (result metadata), OrderedDict, ...: stored as a dict
        return to_jsonable(dict(value))
    for base in (str, int, float):  # subclasses of JSON scalars that are not enums, e.g. ``class Label(str)``
        if isinstance(value, base):
            return _tagged(cls, base(value))
    raise UnstorableOutputError(
        f"cannot store a {_path(cls)} as JSON; return a pydantic model or a dataclass, "
        f"or call notebookllm.store.register_codec({cls.__name__}, encode, decode)"
    )


def from_jsonable(data: Any) -> Any:
    """Inverse of :func:`to_jsonable`."""
    if type(data) is list:
        return [from_jsonable(v) for v in data]
    if type(data) is not dict:
        return data
    if _TAG not in data:
        return {k: from_jsonable(v) for k, v in data.items()}
    path, payload = data[_TAG], data["v"]
    if path == "builtins:dict":
        return {from_jsonable(k): from_jsonable(v) for k, v in payload}
    if path == "builtins:tuple":
        return tuple(from_jsonable(v) for v in payload)
    cls = _import(path)
    if "args" in data:  # a parametrised generic pydantic model, e.g. Page[Book]
        cls = cls[tuple(_import(arg) for arg in data["args"])]  # type: ignore[index]
    codec = _find_codec(cls)
    if codec is not None:
        return codec[1](from_jsonable(payload))
    if hasattr(cls, "model_validate"):
        subtyped = {name: from_jsonable(v) for name, v in data.get("subtyped", {}).items()}
        return cls.model_validate({**payload, **subtyped})
    if dataclasses.is_dataclass(cls):
        return _restore_dataclass(cls, {k: from_jsonable(v) for k, v in payload.items()})
    return cls(payload)  # enums and scalar subclasses


def _tagged(cls: type, payload: Any) -> dict[str, Any]:
    return {_TAG: _path(cls), "v": payload}


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@functools.lru_cache(maxsize=1024)
def _import(path: str) -> type:
    module, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise TypeError(f"{path} is not a type")
    return obj


def _find_codec(cls: type) -> tuple[_Encoder, _Decoder] | None:
    if not _registry:
        return None
    for base in cls.__mro__:
        if base in _registry:
            return _registry[base]
    return None


def _tagged_pydantic(value: Any) -> dict[str, Any]:
    """A pydantic model as its ``model_dump(mode="json")``, with two additions that validation needs to rebuild
    the same object:

    * ``args``: ``Page[Book]`` is not importable by name, so ``Page`` is stored with its arguments and its fields
      are validated as ``Book`` again (arguments that are not plain classes, e.g. ``list[int]``, fall back to
      ``Page``);
    * ``subtyped``: a field holding a model of a type its annotation does not name (the SDK's
      ``GenerateContentResponse.parsed: BaseModel | dict`` holding a ``Book``) is stored tagged, since validating
      its plain dump would build a bare ``BaseModel``.
    """
    cls = type(value)
    meta = getattr(cls, "__pydantic_generic_metadata__", None) or {}
    origin, args = meta.get("origin"), meta.get("args", ())
    node = _tagged(origin or cls, value.model_dump(mode="json"))
    if origin is not None and args and all(isinstance(arg, type) for arg in args):
        node["args"] = [_path(arg) for arg in args]
    subtyped = {
        name: to_jsonable(field_value)
        for name in cls.model_fields
        if hasattr(field_value := getattr(value, name), "model_dump")
        and type(field_value) not in _declared_classes(cls, name)
    }
    if subtyped:
        node["subtyped"] = subtyped
    return node


@functools.lru_cache(maxsize=1024)
def _declared_classes(cls: type, field: str) -> frozenset[Any]:
    """Every class named anywhere in the annotation of ``cls.field`` (``Optional[list[Book]]`` → NoneType, list,
    Book)."""
    found: set[Any] = set()
    pending = [cls.model_fields[field].annotation]  # type: ignore[attr-defined]
    while pending:
        annotation = pending.pop()
        found.add(annotation)
        found.add(typing.get_origin(annotation))
        pending.extend(typing.get_args(annotation))
    return frozenset(found)


def _restore_dataclass(cls: type, values: dict[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    init = {k: v for k, v in values.items() if k in fields and fields[k].init}
    obj = cls(**init)
    for name, value in values.items():
        if name in fields and not fields[name].init:
            object.__setattr__(obj, name, value)  # frozen dataclasses too
    return obj


register_codec(_dt.datetime, _dt.datetime.isoformat, _dt.datetime.fromisoformat)
register_codec(_dt.date, _dt.date.isoformat, _dt.date.fromisoformat)
register_codec(_dt.time, _dt.time.isoformat, _dt.time.fromisoformat)
register_codec(_dt.timedelta, _dt.timedelta.total_seconds, lambda s: _dt.timedelta(seconds=s))
register_codec(Decimal, str, Decimal)
register_codec(set, list, set)
register_codec(frozenset, list, frozenset)
register_codec(bytes, bytes.hex, bytes.fromhex)
