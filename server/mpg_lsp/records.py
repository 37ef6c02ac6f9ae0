"""Record classes: what ``@dataclass`` gives us, without what it costs at start-up.

``mpg-lsp check`` is meant to start about as fast as importing tree-sitter. The standard
``dataclasses`` module pulls in ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``) and
compiles five or six generated functions for every class; over the ~50 classes of the value
model and the rules that was most of the command's start-up. A record compiles nothing: its
``__init__``, ``__eq__``, ``__hash__`` and ``__repr__`` are closures over the class's fields,
written once here. The ``__init__`` takes a few tenths of a microsecond more per object than a
dataclass's; calls that give every field by position (the common case) take the shortest path.

The surface is the subset of dataclasses the project uses, with the same meaning:

    @record(frozen=True)
    class Pair:
        key: str
        span: Span = field(compare=False, repr=False)
        notes: list[str] = field(default_factory=list)

    replace(pair, key="pool_size")

Records always have ``__slots__``. Equality compares the fields marked ``compare`` (class
first, like a dataclass); frozen records hash those fields and refuse assignment; mutable
records are unhashable. mypy reads ``record`` through ``dataclass_transform`` (PEP 681), so
constructors are type-checked exactly as dataclasses would be.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING or sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # Python 3.10 runs the code; mypy reads the branch above.

    def dataclass_transform(**_: object) -> Callable[[Any], Any]:
        return lambda decorator: decorator


__all__ = ["FrozenRecordError", "field", "record", "replace"]

T = TypeVar("T")

_FIELDS = "__record_fields__"  # where a record class keeps its fields


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenRecordError(AttributeError):
    """Assignment to a field of a frozen record."""


class Field:
    """One field of a record, as declared (``name`` is filled in by ``@record``)."""

    __slots__ = ("compare", "default", "default_factory", "name", "repr")

    def __init__(
        self, default: Any, default_factory: Any, compare: bool, repr: bool, name: str = ""
    ) -> None:
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr
        self.name = name

    def named(self, name: str) -> Field:
        return Field(self.default, self.default_factory, self.compare, self.repr, name)

    @property
    def required(self) -> bool:
        return self.default is MISSING and self.default_factory is MISSING


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] = MISSING,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """Declare a field with a default, a factory for mutable defaults, or out of ``==``/repr."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("a field cannot have both a default and a default_factory")
    return Field(default, default_factory, compare, repr)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(field,))
def record(cls: type[T] | None = None, /, *, frozen: bool = False) -> Any:
    """Turn the annotated class attributes of ``cls`` into the fields of a record."""

    def wrap(cls: type[T]) -> type[T]:
        return _build(cls, frozen)

    return wrap if cls is None else wrap(cls)


def fields(obj_or_cls: object) -> tuple[Field, ...]:
    """The fields of a record class or instance, inherited ones first."""
    declared: tuple[Field, ...] | None = getattr(obj_or_cls, _FIELDS, None)
    if declared is None:
        raise TypeError(f"{obj_or_cls!r} is not a record")
    return declared


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of ``obj`` with ``changes`` applied, built through its ``__init__``."""
    cls = type(obj)
    for f in fields(cls):
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return cls(**changes)


def _build(cls: type[T], frozen: bool) -> type[T]:
    inherited: tuple[Field, ...] = getattr(cls, _FIELDS, ())
    # inspect.get_annotations would import inspect, the module this one exists to avoid.
    annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    own: list[Field] = []
    for name in annotations:
        declared = cls.__dict__.get(name, MISSING)
        spec = declared if isinstance(declared, Field) else field(default=declared)
        own.append(spec.named(name))
    by_name = {f.name: f for f in inherited}
    by_name.update((f.name, f) for f in own)  # a redeclared field keeps its place
    all_fields = tuple(by_name.values())
    _check_order(cls, all_fields)

    namespace = {k: v for k, v in cls.__dict__.items() if k not in annotations}
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    inherited_names = {f.name for f in inherited}
    namespace["__slots__"] = tuple(f.name for f in own if f.name not in inherited_names)
    namespace[_FIELDS] = all_fields
    namespace["__match_args__"] = tuple(f.name for f in all_fields)
    namespace["__init__"] = _make_init(cls.__qualname__, all_fields, frozen)
    namespace.setdefault("__repr__", _repr)

    key = _key([f.name for f in all_fields if f.compare])
    if "__eq__" not in cls.__dict__:
        namespace["__eq__"] = _make_eq(key)
    if frozen:
        namespace["__setattr__"] = _frozen_setattr
        namespace["__delattr__"] = _frozen_delattr
        if "__hash__" not in cls.__dict__ or cls.__dict__["__hash__"] is None:
            namespace["__hash__"] = _make_hash(key)
    elif "__eq__" not in cls.__dict__:
        namespace["__hash__"] = None

    built: type[T] = type(cls.__name__, cls.__bases__, namespace)
    return built


def _check_order(cls: type, declared: tuple[Field, ...]) -> None:
    seen_default = False
    for f in declared:
        if not f.required:
            seen_default = True
        elif seen_default:
            raise TypeError(
                f"{cls.__qualname__}: field {f.name!r} without a default follows one with a default"
            )


def _make_init(qualname: str, declared: tuple[Field, ...], frozen: bool) -> Callable[..., None]:
    """``__init__(self, *values, **by_name)``, shared code over the fields of one class.

    A dataclass compiles a tailored ``__init__`` per class; that compile was most of the cost of
    a record at import. Calls with every field given by position (the common case) set them in
    one loop; the others go through ``_bind``, which fills defaults and names like a signature.
    """
    names = tuple(f.name for f in declared)
    count = len(names)
    required = sum(1 for f in declared if f.required)  # defaults trail, so these come first
    # Plain defaults, when no field needs a factory: positional calls that leave them out
    # take them from here without the trip through _bind.
    tail = (
        None
        if any(f.default_factory is not MISSING for f in declared)
        else tuple(f.default for f in declared[required:])
    )
    assign = object.__setattr__ if frozen else setattr

    def __init__(self: Any, *values: Any, **by_name: Any) -> None:
        if by_name or len(values) != count:
            if tail is not None and not by_name and required <= len(values) < count:
                values += tail[len(values) - required :]
            else:
                values = _bind(qualname, declared, required, values, by_name)
        for name, value in zip(names, values):
            assign(self, name, value)

    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


def _bind(
    qualname: str,
    declared: tuple[Field, ...],
    required: int,
    values: tuple[Any, ...],
    by_name: dict[str, Any],
) -> tuple[Any, ...]:
    """The value of every field, from positional and named arguments and the defaults."""
    if len(values) > len(declared):
        raise TypeError(
            f"{qualname}() takes {len(declared)} arguments but {len(values)} were given"
        )
    bound = list(values)
    for i, f in enumerate(declared[len(values) :], start=len(values)):
        if f.name in by_name:
            bound.append(by_name.pop(f.name))
        elif i < required:
            raise TypeError(f"{qualname}() missing required argument {f.name!r}")
        elif f.default_factory is not MISSING:
            bound.append(f.default_factory())
        else:
            bound.append(f.default)
    for name in by_name:
        if any(f.name == name for f in declared):
            raise TypeError(f"{qualname}() got multiple values for argument {name!r}")
        raise TypeError(f"{qualname}() got an unexpected keyword argument {name!r}")
    return tuple(bound)


def _key(names: list[str]) -> Callable[[Any], Any]:
    if not names:
        return lambda obj: ()
    getter = attrgetter(*names)
    if len(names) == 1:
        return lambda obj: (getter(obj),)
    return getter


def _make_eq(key: Callable[[Any], Any]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return key(self) == key(other)

    return __eq__


def _make_hash(key: Callable[[Any], Any]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    raise FrozenRecordError(
        f"cannot assign to field {name!r} of a frozen {type(self).__qualname__}"
    )


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r} of a frozen {type(self).__qualname__}")
