"""Token Status List: the draft's vectors, encoding rules and Status List Tokens."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pytest

from ledger._b64 import b64e
from ledger.errors import (
    CredentialExpired,
    CredentialNotYetValid,
    InvalidSignature,
    IssuedInFuture,
    MissingClaim,
    OversizedInput,
    StatusListError,
    UnexpectedTokenType,
    UnsupportedAlgorithm,
)
from ledger.sdjwt import StatusList, issue_status_list_token, verify_status_list_token
from ledger.sdjwt.jws import sign_compact
from ledger.sdjwt.status_list import INVALID, SUSPENDED, VALID
from tests.sdjwt._harness import (
    ISSUER,
    ISSUER_KEY,
    NOW,
    OTHER_KEY,
    STATUS_URI,
    load_yaml,
    vector_files,
)

VECTORS = vector_files("status_list")


def _expected(vector: dict[str, Any]) -> dict[int, int]:
    if "statuses" in vector:
        return dict(enumerate(vector["statuses"]))
    return {int(k): v for k, v in vector["set"].items()}


def _build(vector: dict[str, Any]) -> StatusList:
    expected = _expected(vector)
    lst = StatusList(vector["bits"], vector.get("size", len(expected)))
    for idx, value in expected.items():
        lst.set(idx, value)
    return lst


def test_draft_vectors_are_present() -> None:
    assert {p.stem for p in VECTORS} >= {"section4_1bit", "section4_2bit", "appendix_c1_1bit"}


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_draft_vector_decodes_to_its_statuses(path: Path) -> None:
    vector = load_yaml(path)
    lst = StatusList.decode({"bits": vector["bits"], "lst": vector["lst"]})
    expected = _expected(vector)
    assert all(lst.get(i) == v for i, v in expected.items())
    assert sum(1 for b in lst.to_bytes() if b) <= len(expected)  # everything else is 0
    if "bytes_hex" in vector:
        assert lst.to_bytes().hex() == vector["bytes_hex"]


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_encoding_reproduces_the_draft_vector_exactly(path: Path) -> None:
    vector = load_yaml(path)
    assert _build(vector).encode() == {"bits": vector["bits"], "lst": vector["lst"]}


def test_entries_are_packed_least_significant_bit_first() -> None:
    lst = StatusList(2, 8)
    lst.set(0, INVALID)
    lst.set(3, SUSPENDED)
    lst.set(4, 3)
    assert lst.to_bytes() == bytes([0b10_00_00_01, 0b00_00_00_11])
    lst.set(0, VALID)
    assert lst.get(0) == VALID and lst.get(3) == SUSPENDED


@pytest.mark.parametrize("bits", [0, 3, 16])
def test_only_1_2_4_8_bits_are_allowed(bits: int) -> None:
    with pytest.raises(StatusListError):
        StatusList(bits, 8)
    with pytest.raises(StatusListError):
        StatusList.decode({"bits": bits, "lst": StatusList(1, 8).encode()["lst"]})


def test_out_of_range_index_and_value_are_refused() -> None:
    lst = StatusList(2, 4)
    with pytest.raises(StatusListError):
        lst.get(4)
    with pytest.raises(StatusListError):
        lst.set(-1, 0)
    with pytest.raises(StatusListError):
        lst.set(0, 4)


@pytest.mark.parametrize(
    "obj",
    [
        {"bits": 1},
        {"bits": 1, "lst": "not base64!"},
        {"bits": 1, "lst": b64e(b"not zlib")},
        {"bits": 1, "lst": b64e(zlib.compress(b"\x00" * 100)[:-3])},
        {"bits": True, "lst": b64e(zlib.compress(b"\x00"))},
        "a string",
    ],
)
def test_malformed_status_lists_are_refused(obj: Any) -> None:
    with pytest.raises(StatusListError):
        StatusList.decode(obj)


def test_a_zlib_bomb_is_refused() -> None:
    bomb = {"bits": 1, "lst": b64e(zlib.compress(b"\x00" * (64 * 1024 * 1024), 9))}
    with pytest.raises(StatusListError):
        StatusList.decode(bomb, max_bytes=1024 * 1024)


def _token(**kw: Any) -> str:
    lst = StatusList(2, 1024)
    lst.set(7, INVALID)
    lst.set(9, SUSPENDED)
    args: dict[str, Any] = {
        "signing_key": ISSUER_KEY,
        "uri": STATUS_URI,
        "issuer": ISSUER,
        "now": NOW - 10,
        "exp": NOW + 3600,
        "ttl": 300,
    }
    args.update(kw)
    return issue_status_list_token(lst, **args)


def _verify(token: str, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "issuer_key_resolver": ISSUER_KEY.public_key,
        "expected_uri": STATUS_URI,
        "now": NOW,
    }
    args.update(kw)
    return verify_status_list_token(token, **args)


def test_status_list_token_round_trips() -> None:
    result = _verify(_token(), expected_issuer=ISSUER)
    assert (result.uri, result.issuer, result.iat, result.exp, result.ttl) == (
        STATUS_URI,
        ISSUER,
        NOW - 10,
        NOW + 3600,
        300,
    )
    assert result.status_list.get(7) == INVALID and result.status_list.get(9) == SUSPENDED
    assert result.status_list.get(8) == VALID


def test_status_list_token_header_is_statuslist_jwt() -> None:
    from ledger.sdjwt.jws import parse_compact

    header = parse_compact(_token()).unverified_header
    assert header == {"alg": "ES256", "typ": "statuslist+jwt", "kid": ISSUER_KEY.kid}


def test_status_list_token_for_another_uri_is_refused() -> None:
    with pytest.raises(StatusListError):
        _verify(_token(uri=STATUS_URI + "2"))


def test_status_list_token_from_another_issuer_is_refused() -> None:
    with pytest.raises(StatusListError):
        _verify(_token(), expected_issuer="https://other.example")
    with pytest.raises(InvalidSignature):
        _verify(_token(signing_key=OTHER_KEY))


def test_expired_or_future_status_list_tokens_are_refused() -> None:
    with pytest.raises(CredentialExpired):
        _verify(_token(exp=NOW - 100))
    with pytest.raises(IssuedInFuture):
        _verify(_token(now=NOW + 100))


def test_status_list_token_with_wrong_typ_or_alg_is_refused() -> None:
    payload = {"sub": STATUS_URI, "iat": NOW, "status_list": StatusList(1, 8).encode()}
    with pytest.raises(UnexpectedTokenType):
        _verify(sign_compact({"typ": "JWT"}, payload, ISSUER_KEY))
    with pytest.raises(UnsupportedAlgorithm):
        _verify(sign_compact({"typ": "statuslist+jwt", "alg": "HS256"}, payload, ISSUER_KEY))


def test_oversized_status_list_token_is_refused() -> None:
    with pytest.raises(OversizedInput):
        _verify(_token(), max_size=100)


def _raw_token(payload: dict[str, Any], typ: str = "statuslist+jwt") -> str:
    body = {"sub": STATUS_URI, "status_list": StatusList(1, 8).encode(), **payload}
    return sign_compact({"typ": typ, "kid": ISSUER_KEY.kid}, body, ISSUER_KEY)


def test_status_list_token_times_may_be_fractional_numbers() -> None:
    # iat/exp are NumericDates (RFC 7519 §2), ttl "a positive number": none need be an integer.
    result = _verify(_raw_token({"iat": NOW - 9.5, "exp": NOW + 3600.25, "ttl": 300.9}))
    assert (result.iat, result.exp, result.ttl) == (NOW - 10, NOW + 3600, 300)


def test_status_list_token_not_valid_yet_is_refused() -> None:
    with pytest.raises(CredentialNotYetValid):
        _verify(_raw_token({"iat": NOW - 10, "nbf": NOW + 3600}))
    assert _verify(_raw_token({"iat": NOW - 10, "nbf": NOW - 5})).iat == NOW - 10


def test_status_list_token_needs_a_numeric_iat() -> None:
    with pytest.raises(MissingClaim):
        _verify(_raw_token({}))
    with pytest.raises(MissingClaim):
        _verify(_raw_token({"iat": "yesterday"}))
    with pytest.raises(MissingClaim):
        _verify(_raw_token({"iat": True}))


def test_status_list_token_ttl_must_be_positive() -> None:
    with pytest.raises(StatusListError):
        _verify(_raw_token({"iat": NOW, "ttl": 0}))


def test_status_list_token_without_a_status_list_is_refused() -> None:
    token = sign_compact({"typ": "statuslist+jwt"}, {"sub": STATUS_URI, "iat": NOW}, ISSUER_KEY)
    with pytest.raises(StatusListError):
        _verify(token)


def test_status_list_token_typ_is_a_media_type() -> None:
    # RFC 7515 §4.1.9: "application/" may be written, and media types ignore case.
    assert _verify(_raw_token({"iat": NOW}, typ="application/statuslist+jwt")).iat == NOW
    assert _verify(_raw_token({"iat": NOW}, typ="StatusList+JWT")).iat == NOW


def test_status_list_token_may_carry_other_claims_and_members() -> None:
    status_list = {**StatusList(1, 8).encode(), "aggregation_uri": "https://status.example.dk/agg"}
    token = _raw_token({"iat": NOW, "jti": "sl-1", "status_list": status_list})
    assert _verify(token).status_list.get(0) == VALID
