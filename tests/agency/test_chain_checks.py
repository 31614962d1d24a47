"""chain_checks: issuer key resolution, the lens question and the assessment of its answer, on
anvil (the transport itself: tests/chain/test_lens_transport.py)."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator

import pytest
from world import PERSON, AgencyWorld

from ledger.agency.chain_checks import (
    CHAIN_CHECK_NAMES,
    ChainExpectation,
    PreparedCheck,
    assess_chain_check,
    check_on_chain,
    first_failure,
    prepare_check,
    record_chain_checks,
    resolve_issuer_key,
)
from ledger.agency.packages import AnchorEvidence, issuer_did, status_uri
from ledger.agency.report import ReportBuilder
from ledger.chain.client import AgencyStatus, CredentialCheck, LedgerChain
from ledger.errors import (
    AnchorIssuerMismatch,
    AnchorTypeMismatch,
    ChainCheckFailed,
    CredentialNotAnchored,
    CredentialRevoked,
    CredentialStatusUnknown,
    CredentialSuspended,
    IssuerAgencyRemoved,
    IssuerAgencySuspended,
    IssuerKeyOwnerMismatch,
    IssuerNotAccreditedAtAnchor,
    KeyRegistryKidMismatch,
    SigningKeyNotValidAtAnchor,
    StatusReferenceInvalid,
    UnknownIssuerKey,
    VerifierNotAuthorized,
)
from ledger.sdjwt import SigningKey, StatusReference, issue_sd_jwt_vc

LIST_ID = 77
CAPACITY = 256
HOLDER = SigningKey.generate()


@pytest.fixture(scope="module")
def world(agency_world: AgencyWorld) -> AgencyWorld:
    if agency_world.reader().status_list(agency_world.issuer.address, LIST_ID) is None:
        agency_world.issuer_chain().create_status_list(LIST_ID, CAPACITY)
    return agency_world


@pytest.fixture
def env(world: AgencyWorld, chain_snapshot: str) -> Iterator[AgencyWorld]:
    yield world


def _status(world: AgencyWorld, idx: int, agency: str | None = None) -> StatusReference:
    registry = world.deployment.address("StatusRegistry")
    return StatusReference(
        idx, status_uri(registry, world.chain_id, agency or world.issuer.address, LIST_ID)
    )


def _iss(world: AgencyWorld) -> str:
    return issuer_did(world.chain_id, world.issuer.address)


def _anchored_digest(world: AgencyWorld) -> bytes:
    credential = issue_sd_jwt_vc(
        PERSON,
        signing_key=world.signing_key,
        issuer=_iss(world),
        vct=world.vct,
        holder_jwk=HOLDER.public_jwk,
        status_idx=1,
        status_uri=_status(world, 1).uri,
    )
    world.issuer_chain().anchor(credential.digest, world.type_id)
    return credential.digest


def _prepare(
    world: AgencyWorld, chain: LedgerChain, digest: bytes, status: StatusReference
) -> PreparedCheck:
    """`prepare_check` for `digest` as issued by the scenario's issuer and key, anchored alone."""
    return prepare_check(
        chain,
        digest=digest,
        anchor=AnchorEvidence(),
        type_id=world.type_id,
        kid=world.signing_key.kid,
        issuer=_iss(world),
        status=status,
    )


def _check(world: AgencyWorld, digest: bytes, idx: int = 3, **kwargs: object) -> CredentialCheck:
    args: dict[str, object] = {
        "digest": digest,
        "anchor": AnchorEvidence(),
        "type_id": world.type_id,
        "kid": world.signing_key.kid,
        "issuer": _iss(world),
        "status": _status(world, idx),
    }
    args.update(kwargs)
    return check_on_chain(world.reader(), **args)  # type: ignore[arg-type]


# -- issuer keys -----------------------------------------------------------------------------------


def test_registered_key_resolves_for_its_own_agency(env: AgencyWorld) -> None:
    key = resolve_issuer_key(env.reader(), env.signing_key.kid, _iss(env))
    assert key == env.signing_key.public_key


def test_key_of_another_agency_is_refused(env: AgencyWorld) -> None:
    other = issuer_did(env.chain_id, env.verifier.address)
    with pytest.raises(IssuerKeyOwnerMismatch):
        resolve_issuer_key(env.reader(), env.signing_key.kid, other)


def test_issuer_of_another_chain_is_refused(env: AgencyWorld) -> None:
    with pytest.raises(UnknownIssuerKey):
        resolve_issuer_key(
            env.reader(), env.signing_key.kid, issuer_did(env.chain_id + 1, env.issuer.address)
        )


@pytest.mark.parametrize(
    "kid",
    ["A" * 43, "short", "A" * 42 + "=", "+" + "A" * 42, "A" * 42 + "B"],
    ids=["unregistered", "short", "padded", "foreign-character", "non-canonical"],
)
def test_unknown_or_malformed_kid_is_refused(env: AgencyWorld, kid: str) -> None:
    with pytest.raises(UnknownIssuerKey):
        resolve_issuer_key(env.reader(), kid, _iss(env))


def test_key_cannot_be_registered_under_a_kid_that_is_not_its_thumbprint(
    env: AgencyWorld,
) -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    chain = env.issuer_chain()
    proof = chain.prove_possession(key)._replace(kid=other.thumbprint)
    with pytest.raises(KeyRegistryKidMismatch):
        chain.transact(chain.register_key_tx(proof))
    with pytest.raises(UnknownIssuerKey):
        resolve_issuer_key(env.reader(), other.kid, _iss(env))


def test_unregistered_kid_is_not_cached_as_missing(env: AgencyWorld) -> None:
    key = SigningKey.generate()
    with pytest.raises(UnknownIssuerKey):
        resolve_issuer_key(env.reader(), key.kid, _iss(env))
    env.issuer_chain().register_key(key)
    assert resolve_issuer_key(env.reader(), key.kid, _iss(env)) == key.public_key


# -- the status reference -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["registry", "chain", "agency", "garbage"])
def test_status_reference_must_name_the_issuers_own_list_here(env: AgencyWorld, field: str) -> None:
    registry = env.deployment.address("StatusRegistry")
    uri = {
        "registry": status_uri(
            env.deployment.address("AnchorRegistry"), env.chain_id, env.issuer.address, LIST_ID
        ),
        "chain": status_uri(registry, env.chain_id + 1, env.issuer.address, LIST_ID),
        "agency": status_uri(registry, env.chain_id, env.verifier.address, LIST_ID),
        "garbage": "https://status.example.dk/1",
    }[field]
    with pytest.raises(StatusReferenceInvalid):
        _prepare(env, env.reader(), secrets.token_bytes(32), StatusReference(1, uri))


# -- the lens answer on chain ----------------------------------------------------------------------


def test_anchored_credential_passes_every_chain_check(env: AgencyWorld) -> None:
    check = _check(env, _anchored_digest(env))
    results = assess_chain_check(check, ChainExpectation(env.issuer.address, env.type_id))
    assert [r.name for r in results] == list(CHAIN_CHECK_NAMES[:-1])
    assert all(r.passed for r in results)


def test_unanchored_digest_fails_the_anchor_check(env: AgencyWorld) -> None:
    check = _check(env, secrets.token_bytes(32))
    expected = ChainExpectation(env.issuer.address, env.type_id)
    assert type(first_failure(check, expected)) is CredentialNotAnchored


def test_credential_of_another_type_than_anchored_fails_the_anchor_check(
    env: AgencyWorld,
) -> None:
    check = _check(env, _anchored_digest(env))
    expected = ChainExpectation(env.issuer.address, env.type_id + 1)
    assert type(first_failure(check, expected)) is AnchorTypeMismatch


def test_status_index_outside_the_list_is_unknown(env: AgencyWorld) -> None:
    check = _check(env, _anchored_digest(env), idx=CAPACITY + 5)
    expected = ChainExpectation(env.issuer.address, env.type_id)
    assert type(first_failure(check, expected)) is CredentialStatusUnknown


def test_verifier_check_runs_only_when_asked(env: AgencyWorld) -> None:
    digest = _anchored_digest(env)
    asked = _check(
        env, digest, verifier=env.verifier.address, purpose_digest=bytes(32), claim_mask=1
    )
    expected = ChainExpectation(env.issuer.address, env.type_id, env.verifier.address)
    assert type(first_failure(asked, expected)) is VerifierNotAuthorized
    names = [r.name for r in assess_chain_check(asked, expected)]
    assert names == list(CHAIN_CHECK_NAMES)


# -- the assessment, for answers a test cannot easily provoke on chain -----------------------------


def _answer(**changes: object) -> CredentialCheck:
    base = CredentialCheck(
        anchored=True,
        issuer="0x" + "11" * 20,
        type_id=1,
        anchored_at=1000,
        batch_count=1,
        issuer_accredited_at_anchor=True,
        key_valid_at_anchor=True,
        key_agency="0x" + "11" * 20,
        key_revoked_at=0,
        status_known=True,
        status=0,
        issuer_agency_status=AgencyStatus.ACTIVE,
        verifier_authorized=True,
        block_number=9,
        block_timestamp=2000,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


EXPECTED = ChainExpectation("0x" + "11" * 20, 1, "0x" + "22" * 20)


@pytest.mark.parametrize(
    ("changes", "error", "check"),
    [
        ({"anchored": False}, CredentialNotAnchored, "anchor"),
        ({"issuer": "0x" + "33" * 20}, AnchorIssuerMismatch, "anchor"),
        ({"type_id": 2}, AnchorTypeMismatch, "anchor"),
        (
            {"issuer_accredited_at_anchor": False},
            IssuerNotAccreditedAtAnchor,
            "issuer_accreditation",
        ),
        (
            {"key_valid_at_anchor": False, "key_revoked_at": 900},
            SigningKeyNotValidAtAnchor,
            "key_validity",
        ),
        ({"status": 1}, CredentialRevoked, "status"),
        ({"status": 2}, CredentialSuspended, "status"),
        ({"status": 3}, CredentialStatusUnknown, "status"),
        ({"status_known": False}, CredentialStatusUnknown, "status"),
        (
            {"issuer_agency_status": AgencyStatus.SUSPENDED},
            IssuerAgencySuspended,
            "issuer_agency_status",
        ),
        (
            {"issuer_agency_status": AgencyStatus.REMOVED},
            IssuerAgencyRemoved,
            "issuer_agency_status",
        ),
        ({"verifier_authorized": False}, VerifierNotAuthorized, "verifier_authorization"),
    ],
)
def test_each_failed_chain_check_raises_its_own_error_and_stops_the_report(
    changes: dict[str, object], error: type[ChainCheckFailed], check: str
) -> None:
    builder = ReportBuilder()
    for name in ("sd_jwt", "key_binding", "request_match"):
        builder.passed(name)
    with pytest.raises(error) as raised:
        record_chain_checks(builder, _answer(**changes), EXPECTED)
    assert type(raised.value) is error
    report = builder.report()
    assert report.failed_check is not None and report.failed_check.name == check
    assert report.failed_check.error == error.__name__
    names = [c.name for c in report.checks]
    assert all(c.passed is None for c in report.checks[names.index(check) + 1 :])


def test_a_clean_answer_records_every_chain_check_as_passed() -> None:
    builder = ReportBuilder()
    for name in ("sd_jwt", "key_binding", "request_match"):
        builder.passed(name)
    record_chain_checks(builder, _answer(), EXPECTED)
    assert builder.report().ok
