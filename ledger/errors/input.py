"""Untrusted JSON (`ledger.untrusted_json`): refused before any recursive parser sees the text."""

from __future__ import annotations

from ledger.errors._base import InputError

__all__ = [
    "JsonDuplicateKey",
    "JsonNotUtf8",
    "JsonNumberTooLong",
    "JsonRejected",
    "JsonTooDeep",
    "JsonTooLarge",
    "NotJson",
]


class JsonRejected(InputError, ValueError):
    """Family: the bounded parser refused a JSON document (`ledger.untrusted_json`).

    Also a ValueError, as the json module's JSONDecodeError is, so code written for that
    module keeps catching it. The message is the reason alone ("nested deeper than the limit
    of 128 levels"); callers put the source in front ("claims.json: not a JSON file (...)").
    """


class JsonTooLarge(JsonRejected):
    """The document is larger than the size limit."""


class JsonTooDeep(JsonRejected):
    """Arrays and objects nest deeper than the depth limit."""


class JsonNumberTooLong(JsonRejected):
    """A number literal is longer than the limit (a 100,000-digit integer)."""


class JsonDuplicateKey(JsonRejected):
    """An object repeats a member name (parsers disagree on which value wins)."""


class JsonNotUtf8(JsonRejected):
    """The text is not UTF-8, or a string escape stands for no character (a lone surrogate)."""


class NotJson(JsonRejected):
    """Not JSON text (RFC 8259): truncated, empty, NaN or Infinity, trailing data, or a number
    beyond the range of a double."""
