"""Building a model from values that are valid already, without running validation again.

Ranking a large request builds tens of thousands of small result models (candidates, excluded
offers, exclusion reasons) from values that were validated when the listings came in, or computed
from them. Validating them again costs more than the ranking itself; `BaseModel.model_construct`
is slower still (it re-derives defaults and aliases in Python on every call). An instance built
here is indistinguishable from a validated one: the same field values in field order, the same
`model_fields_set`, equal to it, the same JSON.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)

_FIELDS: dict[type[BaseModel], tuple[tuple[str, ...], frozenset[str]]] = {}


def _fields_of(cls: type[BaseModel]) -> tuple[tuple[str, ...], frozenset[str]]:
    fields = _FIELDS.get(cls)
    if fields is None:
        if cls.__private_attributes__ or cls.model_config.get("extra") == "allow":
            raise TypeError(f"{cls.__name__} keeps private or extra attributes; validate it instead")
        names = tuple(cls.model_fields)
        fields = _FIELDS[cls] = (names, frozenset(names))
    return fields


def prevalidated(cls: type[Model], **values: Any) -> Model:
    """An instance of `cls` holding `values`, which must name every field (the caller states each
    value rather than relying on defaults, so nothing is left for validation to fill in)."""
    return prevalidated_values(cls, values)


def prevalidated_values(cls: type[Model], values: dict[str, Any]) -> Model:
    """`prevalidated` for values already in a dict, which the instance takes as its own: the
    caller gives a dict it will not change again (ranking fills in a copy per candidate)."""
    fields = _fields_of(cls)
    names = fields[0]
    if tuple(values) != names:  # given out of field order, or not every field: the slow path
        values = _in_field_order(cls, values, fields)
    instance = cls.__new__(cls)
    setattr_ = object.__setattr__
    setattr_(instance, "__dict__", values)
    setattr_(instance, "__pydantic_fields_set__", set(names))
    setattr_(instance, "__pydantic_extra__", None)
    setattr_(instance, "__pydantic_private__", None)
    return instance


def _in_field_order(
    cls: type[BaseModel], values: dict[str, Any], fields: tuple[tuple[str, ...], frozenset[str]]
) -> dict[str, Any]:
    names, every = fields
    if len(values) != len(names):
        missing = sorted(every - values.keys())
        unknown = sorted(values.keys() - every)
        raise TypeError(f"{cls.__name__}: missing {missing}, unknown {unknown}")
    try:
        # Keep the order validation gives.
        return {name: values[name] for name in names}
    except KeyError as error:
        raise TypeError(f"{cls.__name__}: unknown field among {sorted(values)}") from error
