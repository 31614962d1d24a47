"""Results by ABI name, never by tuple position (after web3.py's `_utils/abi.py` `named_tree`).

`named_tree(params, values)` turns decoded values into dicts keyed by the ABI's parameter and
struct-component names (recursing into structs and arrays of structs); `record(cls, tree,
**given)` builds a result dataclass of `ledger.chain.records` from such a dict, each field
read from the component of the same name in camel case (`anchored_at` ← `anchoredAt`), the
fields the struct does not have given by the caller. A struct member renamed in Solidity then
fails loudly (`AbiError`) instead of filling the wrong field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from ledger.chain.abi import ContractAbi
from ledger.errors import AbiError

__all__ = ["camel", "decode_named", "named_tree", "output_params", "record"]

_T = TypeVar("_T")


def camel(name: str) -> str:
    """`anchored_at` → `anchoredAt` (the Solidity spelling of a snake-case field name)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def named_tree(params: Sequence[Mapping[str, Any]], values: Sequence[Any]) -> dict[str, Any]:
    """`values` (decoded against `params`) as a dict by parameter name; a struct becomes a dict
    by component name, an array of structs a tuple of such dicts. An unnamed parameter is
    named by its position (`"0"`, `"1"`, ...)."""
    return {
        str(param.get("name") or i): _node(param, value)
        for i, (param, value) in enumerate(zip(params, values, strict=True))
    }


def _node(param: Mapping[str, Any], value: Any) -> Any:
    kind = str(param["type"])
    if not kind.startswith("tuple"):
        return value
    components = param.get("components", [])
    if kind == "tuple":
        return named_tree(components, value)
    element = {"type": kind[: kind.rindex("[")], "components": components}
    return tuple(_node(element, item) for item in value)


@cache
def output_params(abi: ContractAbi, fn: str) -> tuple[Mapping[str, Any], ...]:
    """The output parameters of function `fn` (by name; not for overloaded names)."""
    entries = [e for e in abi.abi if e.get("type", "function") == "function" and e["name"] == fn]
    if len(entries) != 1:
        raise AbiError(f"no single function {fn} in ABI")
    return tuple(entries[0].get("outputs", []))


def decode_named(abi: ContractAbi, fn: str, data: bytes) -> dict[str, Any]:
    """Return data of `fn` decoded into a `named_tree`."""
    return named_tree(output_params(abi, fn), abi.decode_result(fn, data))


def record(cls: type[_T], tree: Mapping[str, Any], **given: Any) -> _T:
    """An instance of dataclass `cls` whose fields not in `given` come from `tree` by name
    (`AbiError` if the struct has no such member). Arrays become tuples, bytes stay bytes."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in given:
            values[field.name] = given[field.name]
            continue
        name = camel(field.name)
        if name not in tree:
            known = ", ".join(_snake(k) for k in tree)
            raise AbiError(f"{cls.__name__}.{field.name}: the ABI struct has only {known}")
        values[field.name] = tree[name]
    return cls(**values)
