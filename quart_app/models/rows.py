"""ORM objects from Core rows, for the hot reads that skip the ORM's query machinery.

A Core statement costs a fraction of the same ORM query (no identity map, no loader strategies);
the objects it yields behave as if an ORM query had loaded them and its session had closed:
detached, with every column loaded and their relationships not loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import attributes

from quart_app.models.base import Base

M = TypeVar("M", bound=Base)


@dataclass(frozen=True)
class Columns(Generic[M]):
    """The columns of ``model`` (``only`` these, else all), labelled with ``prefix`` so several
    models share one row.

    An object built from fewer columns than the model has is for a view that shows only those:
    reading any other attribute raises (DetachedInstanceError), it never returns a wrong value.
    """

    model: type[M]
    prefix: str
    only: tuple[str, ...] = ()
    _keys: tuple[str, ...] = field(init=False, repr=False)
    _labels: tuple[tuple[str, str], ...] = field(init=False, repr=False)
    _primary_key: tuple[str, ...] = field(init=False, repr=False)
    _mapper: Any = field(init=False, repr=False)
    _manager: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        mapper = inspect(self.model)
        keys = self.only or tuple(attribute.key for attribute in mapper.column_attrs)
        primary_key = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
        if not set(primary_key) <= set(keys):
            raise ValueError(f"{self.model.__name__}: the columns must include the primary key")
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_labels", tuple((key, self.prefix + key) for key in keys))
        object.__setattr__(self, "_primary_key", primary_key)
        object.__setattr__(self, "_mapper", mapper)
        object.__setattr__(self, "_manager", attributes.manager_of_class(self.model))

    @property
    def keys(self) -> tuple[str, ...]:
        """The attributes this reads, in order."""
        return self._keys

    def select(self, entity: Any = None) -> list[ColumnElement[Any]]:
        """The labelled columns, of ``entity`` when it is an alias of the model."""
        source = self.model if entity is None else entity
        return [getattr(source, key).label(self.prefix + key) for key in self._keys]

    def values(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The row's values of these columns, by attribute name (plain data, no object)."""
        return {key: row[label] for key, label in self._labels}

    def values_optional(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        """None when an outer join found nothing (the primary key is NULL)."""
        return None if self._missing(row) else self.values(row)

    def build(self, row: Mapping[str, Any]) -> M:
        """The object from a row holding ``select()``'s columns."""
        # As the ORM's own loading does: no constructor, no attribute events, and the identity
        # key set directly (what make_transient_to_detached does, at a third of its cost).
        # Relationships stay out of the instance's dict: reading one raises, as when detached.
        instance: M = self._manager.new_instance()
        state = attributes.instance_state(instance)
        values = self.values(row)
        state.dict.update(values)
        primary_key = tuple(values[key] for key in self._primary_key)
        state.key = self._mapper.identity_key_from_primary_key(primary_key)
        return instance

    def build_optional(self, row: Mapping[str, Any]) -> M | None:
        """None when an outer join found nothing (the primary key is NULL)."""
        return None if self._missing(row) else self.build(row)

    def _missing(self, row: Mapping[str, Any]) -> bool:
        return all(row[self.prefix + key] is None for key in self._primary_key)


def set_loaded(instance: Base, **related: Any) -> None:
    """Give an object from ``Columns.build`` its related objects, as if loaded with it.

    Straight into the instance's dict (what ``set_committed_value`` does, without its history
    bookkeeping, a third of a list page's time): the objects are for reading.
    """
    attributes.instance_state(instance).dict.update(related)
