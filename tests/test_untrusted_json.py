"""The bounded parser for untrusted JSON (`ledger.untrusted_json`): the hostile corpus, the
limits at their edges, and the SD-JWT parser that shares its guard."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from _hostile import NAMES, Hostile

import ledger.errors as errors
from ledger import untrusted_json
from ledger.errors import (
    InputError,
    JsonDuplicateKey,
    JsonNotUtf8,
    JsonNumberTooLong,
    JsonRejected,
    JsonTooDeep,
    JsonTooLarge,
    MalformedDisclosure,
    MalformedSerialization,
    NotJson,
)
from ledger.sdjwt import _json


@pytest.mark.parametrize("name", NAMES)
def test_hostile_document_is_refused_with_its_specific_error(
    corpus: dict[str, Hostile], name: str
) -> None:
    case = corpus[name]
    if case.refused is None:
        assert isinstance(untrusted_json.loads(case.data), str)
        return
    with pytest.raises(getattr(errors, case.refused)) as caught:
        untrusted_json.loads(case.data)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_refusals_are_input_errors_and_value_errors() -> None:
    # InputError: the CLIs print them as `Error: ...`; ValueError: code written for the json
    # module's JSONDecodeError keeps catching them.
    for cls in (JsonTooDeep, JsonTooLarge, JsonNumberTooLong, JsonDuplicateKey, JsonNotUtf8,
                NotJson):
        assert issubclass(cls, JsonRejected)
    assert issubclass(JsonRejected, InputError) and issubclass(JsonRejected, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2.5, -3e-7, true, false, null, "x"], "b": {}}',
        '{"jsonrpc":"2.0","id":1,"result":"0x00"}',
        '  \n[1]\n',
        '"K\\u00f8benhavn \\ud83d\\ude00"',
        '{"n": 115792089237316195423570985008687907853269984665640564039457584007913129639935}',
        '[0.1, 1E+2, -0]',
    ],
)
def test_valid_json_parses_as_the_json_module_parses_it(text: str) -> None:
    assert untrusted_json.loads(text) == json.loads(text)
    assert untrusted_json.loads(text.encode()) == json.loads(text)


def test_nesting_up_to_the_limit_is_accepted_and_one_more_level_refused() -> None:
    limit = untrusted_json.MAX_DEPTH
    assert untrusted_json.loads("[" * limit + "]" * limit) is not None
    assert untrusted_json.loads('{"a":' * limit + "1" + "}" * limit) is not None
    with pytest.raises(JsonTooDeep):
        untrusted_json.loads("[" * (limit + 1) + "]" * (limit + 1))
    # compact JSON as orjson writes it takes the fast path: the same limit holds there
    with pytest.raises(JsonTooDeep):
        untrusted_json.loads(b"[" * (limit + 1) + b"]" * (limit + 1))


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = json.dumps(["[" * 5000, '\\"{' * 5000, {"k": "]" * 10}])
    assert untrusted_json.loads(text) == json.loads(text)


def test_number_literal_up_to_the_limit_is_accepted_and_one_character_more_refused() -> None:
    limit = untrusted_json.MAX_NUMBER_CHARS
    assert untrusted_json.loads("9" * limit) == int("9" * limit)
    with pytest.raises(JsonNumberTooLong):
        untrusted_json.loads("9" * (limit + 1))
    with pytest.raises(JsonNumberTooLong):
        untrusted_json.loads("[-" + "1" * limit + "]")


def test_size_limit_is_a_parameter() -> None:
    assert untrusted_json.loads(b"[1, 2]", max_bytes=6) == [1, 2]
    with pytest.raises(JsonTooLarge):
        untrusted_json.loads(b"[1, 2] ", max_bytes=6)
    with pytest.raises(JsonTooLarge):
        untrusted_json.loads('"' + "é" * 4 + '"', max_bytes=8)  # 10 bytes as UTF-8


def test_duplicate_member_names_are_refused_at_any_depth() -> None:
    with pytest.raises(JsonDuplicateKey, match="'a'"):
        untrusted_json.loads('[{"b": 1}, {"c": {"a": 1, "a": 1}}]')
    with pytest.raises(JsonDuplicateKey):
        untrusted_json.loads(b'{"a":1,"a":1}')


def test_text_that_is_not_unicode_is_refused() -> None:
    with pytest.raises(JsonNotUtf8):
        untrusted_json.loads('["\udc80"]')  # a str holding a lone surrogate
    with pytest.raises(JsonNotUtf8):
        untrusted_json.loads(b'["\\udc80"]')
    assert untrusted_json.loads(b'["\\\\udc80"]') == ["\\udc80"]  # an escaped backslash


@pytest.mark.parametrize("text", ["", " ", "[1,]", "{'a': 1}", "[1] [2]", "Infinity", "-NaN",
                                  "\ufeff[1]", "[1e999]"])
def test_what_is_not_json_is_refused_as_not_json(text: str) -> None:
    with pytest.raises(NotJson):
        untrusted_json.loads(text)


def test_load_file_reads_no_more_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b"0," * 1000 + b"0]")
    assert untrusted_json.load_file(path) == [0] * 1001
    with pytest.raises(JsonTooLarge, match="more than the limit of 100 bytes"):
        untrusted_json.load_file(path, max_bytes=100)


# -- the SD-JWT parser (ledger.sdjwt._json) uses the same guard --------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("text", ["[" * 65536 + "]" * 65536, '{"a":' * 65536 + "1" + "}" * 65536,
                                  '{"iss": 1, "iss": 2}', "9" * 100_000])
def test_sdjwt_json_refuses_hostile_documents_with_its_own_error(text: str) -> None:
    with pytest.raises(MalformedSerialization) as caught:
        _json.loads(text.encode())
    assert isinstance(caught.value.__cause__, JsonRejected)
    with pytest.raises(MalformedDisclosure):
        _json.loads(b" " + text.encode(), MalformedDisclosure)  # not compact: the other path


def test_deep_nesting_in_a_jwt_payload_is_a_malformed_serialization() -> None:
    from ledger.sdjwt import SigningKey, verify_credential

    key = SigningKey.generate()
    header = _b64(b'{"alg":"ES256","typ":"dc+sd-jwt"}')
    payload = _b64(b"[" * 65536 + b"]" * 65536)
    with pytest.raises(MalformedSerialization):
        verify_credential(f"{header}.{payload}.{_b64(b'sig')}~", issuer_key_resolver=key.public_key,
                          expected_holder_jwk=key.public_jwk)


def test_sdjwt_json_still_reads_big_integers_and_non_compact_text() -> None:
    assert _json.loads(b'["s", "n", 123456789012345678901234567890]') == [
        "s", "n", 123456789012345678901234567890]
    assert _json.loads(b'{ "a" : 1 }') == {"a": 1}
