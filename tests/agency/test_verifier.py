"""Verifier: signed requests, and every rejection path of a presentation, through the SDK on anvil.

Each rejection asserts the specific exception class and the report's failed check name. The
issuer side is done here by hand (`issue_sd_jwt_vc` + `LedgerChain.anchor`), so these tests
depend only on the credential format and the chain client.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from world import PERSON, PURPOSE, VERIFIER_CLAIMS, AgencyWorld

from ledger.agency.nonces import NonceStore
from ledger.agency.packages import (
    AnchorEvidence,
    PresentationPackage,
    issuer_did,
    status_uri,
)
from ledger.agency.request import PresentationRequest, purpose_digest
from ledger.agency.verifier import VERIFIER_CHECK_NAMES, VerifiedCredentialPresentation, Verifier
from ledger.chain.client import CredentialStatus, LedgerChain
from ledger.chain.merkle import MerkleTree
from ledger.errors import (
    CredentialNotAnchored,
    CredentialRevoked,
    CredentialSuspended,
    CredentialTypeMismatch,
    InvalidSignature,
    IssuerAgencySuspended,
    IssuerKeyOwnerMismatch,
    IssuerNotAccreditedAtAnchor,
    IssuerNotActiveAtAnchor,
    KeyBindingAudienceMismatch,
    KeyBindingNonceMismatch,
    NonceReplayed,
    RequestedClaimMissing,
    RequestExpired,
    RequestMalformed,
    RequestNotOurs,
    RequestSignatureInvalid,
    SigningKeyNotValidAtAnchor,
    StatusReferenceInvalid,
    UnrequestedClaimsDisclosed,
    VerificationError,
    VerifierNotAuthorized,
    VerifierNotRegisteredForRequest,
)
from ledger.sdjwt import IssuedCredential, SigningKey, create_presentation, issue_sd_jwt_vc

LIST_ID = 4242
CAPACITY = 1024
OTHER_VCT = "https://credentials.example.dk/library-card/v1"
HOLDER = SigningKey.generate()


@dataclasses.dataclass(frozen=True)
class Setup:
    """The agency world plus what this module adds once (see `setup`)."""

    world: AgencyWorld
    other_type_id: int

    def issuer(self) -> LedgerChain:
        return self.world.issuer_chain()

    def verifier(self, **kwargs: Any) -> Verifier:
        return Verifier(self.world.reader(), account=self.world.verifier, **kwargs)


def make_setup(agency_world: AgencyWorld) -> Setup:
    """Register the verifier under the request module's purpose digest (keccak256 of the text),
    a second credential type, and the issuer's status list (the fixture `setup` of
    `tests/agency/conftest.py`)."""
    world = agency_world
    reader = world.reader()
    actions = reader.actions
    digest = purpose_digest(PURPOSE)
    if (
        reader.verifier_registration(world.verifier.address, world.type_id, digest).registered_at
        == 0
    ):
        world.execute(
            actions.register_verifier(
                world.verifier.address, world.type_id, digest, world.verifier_claim_mask
            )
        )
    other = reader.type_id_of(OTHER_VCT)
    if other == 0:
        world.execute(actions.register_type(OTHER_VCT, ("member_id",)))
        other = reader.type_id_of(OTHER_VCT)
    if reader.status_list(world.issuer.address, LIST_ID) is None:
        world.issuer_chain().create_status_list(LIST_ID, CAPACITY)
    return Setup(world, other)


@pytest.fixture
def env(setup: Setup, chain_snapshot: str) -> Iterator[Setup]:
    """The module setup, reverted after the test."""
    yield setup


# -- issuing and presenting ---------------------------------------------------------------------


def issue(
    env: Setup,
    *,
    anchor: bool = True,
    vct: str | None = None,
    disclosable: list[str] | None = None,
) -> tuple[IssuedCredential, int]:
    """A person credential of the issuer, at a random status index, anchored on its own."""
    world = env.world
    idx = secrets.randbelow(CAPACITY)
    credential = issue_sd_jwt_vc(
        PERSON,
        signing_key=world.signing_key,
        issuer=issuer_did(world.chain_id, world.issuer.address),
        vct=vct or world.vct,
        holder_jwk=HOLDER.public_jwk,
        status_idx=idx,
        status_uri=status_uri(
            world.deployment.address("StatusRegistry"),
            world.chain_id,
            world.issuer.address,
            LIST_ID,
        ),
        disclosable="all" if disclosable is None else disclosable,
    )
    if anchor:
        env.issuer().anchor(credential.digest, world.type_id)
    return credential, idx


def present(
    credential: IssuedCredential,
    request: PresentationRequest,
    *,
    disclose: list[str] | None = None,
    audience: str | None = None,
    nonce: str | None = None,
    anchor: AnchorEvidence | None = None,
    type_id: int | None = None,
) -> PresentationPackage:
    """The holder's answer to `request` (by default exactly the requested claims)."""
    presentation = create_presentation(
        credential.compact,
        disclose=list(request.claim_paths) if disclose is None else disclose,
        holder_key=HOLDER,
        audience=request.audience if audience is None else audience,
        nonce=request.nonce if nonce is None else nonce,
    )
    return PresentationPackage(
        presentation, anchor or AnchorEvidence(), request.type_id if type_id is None else type_id
    )


def ask(
    verifier: Verifier,
    env: Setup,
    claims: tuple[str, ...] = VERIFIER_CLAIMS,
    *,
    purpose: str = PURPOSE,
    unsafe_allow_unregistered: bool = False,
) -> PresentationRequest:
    return verifier.create_request(
        vct=env.world.vct,
        claims=claims,
        purpose=purpose,
        unsafe_allow_unregistered=unsafe_allow_unregistered,
    )


def rejected(
    verifier: Verifier,
    package: PresentationPackage,
    request: PresentationRequest,
    error: type[VerificationError],
    check: str,
) -> VerificationError:
    """Verification raises exactly `error`, whose report (and `check()`'s) fails at `check`."""
    with pytest.raises(error) as raised:
        verifier.verify(package, request)
    assert type(raised.value) is error
    report = raised.value.report
    assert report is not None
    assert not report.ok
    assert report.failed_check is not None and report.failed_check.name == check
    assert report.failed_check.error == error.__name__
    names = [c.name for c in report.checks]
    assert names == list(VERIFIER_CHECK_NAMES)
    assert all(c.passed is None for c in report.checks[names.index(check) + 1 :])
    return raised.value


def accepted(
    verifier: Verifier, package: PresentationPackage, request: PresentationRequest
) -> VerifiedCredentialPresentation:
    result = verifier.verify(package, request)
    assert result.report.ok
    return result


# -- the happy paths ------------------------------------------------------------------------------


def test_valid_presentation_yields_exactly_the_requested_claims_and_the_issuer(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    result = accepted(verifier, present(credential, request), request)
    assert result.claims == {name: PERSON[name] for name in VERIFIER_CLAIMS}
    assert result.issuer_address == env.world.issuer.address
    assert result.issuer_name == "CPR Office"
    assert (result.vct, result.type_id) == (env.world.vct, env.world.type_id)
    assert result.status is CredentialStatus.VALID
    assert result.kid == env.world.signing_key.kid
    assert result.anchored_at > 0
    assert [c.name for c in result.report.checks] == list(VERIFIER_CHECK_NAMES)


def test_claims_the_issuer_left_in_the_clear_are_not_kept_unless_requested(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env, disclosable=list(VERIFIER_CLAIMS))  # the rest is plaintext
    request = ask(verifier, env)
    result = accepted(verifier, present(credential, request), request)
    assert result.claims == {name: PERSON[name] for name in VERIFIER_CLAIMS}


def test_credential_anchored_in_a_batch_is_verified_by_its_inclusion_proof(env: Setup) -> None:
    verifier = env.verifier()
    credentials = [issue(env, anchor=False)[0] for _ in range(5)]
    tree = MerkleTree.from_digests([c.digest for c in credentials])
    env.issuer().anchor_batch(tree.root, env.world.type_id, len(credentials))
    request = ask(verifier, env)
    evidence = AnchorEvidence(root=tree.root, proof=tuple(tree.proof(3)), leaf_index=3)
    accepted(verifier, present(credentials[3], request, anchor=evidence), request)


def test_batch_credential_with_another_leafs_proof_is_not_anchored(env: Setup) -> None:
    verifier = env.verifier()
    credentials = [issue(env, anchor=False)[0] for _ in range(4)]
    tree = MerkleTree.from_digests([c.digest for c in credentials])
    env.issuer().anchor_batch(tree.root, env.world.type_id, len(credentials))
    request = ask(verifier, env)
    evidence = AnchorEvidence(root=tree.root, proof=tuple(tree.proof(1)), leaf_index=1)
    package = present(credentials[2], request, anchor=evidence)
    rejected(verifier, package, request, CredentialNotAnchored, "anchor")


def test_request_survives_a_verifier_restart_with_a_persistent_nonce_store(
    env: Setup, tmp_path: Any
) -> None:
    with NonceStore(tmp_path / "nonces.db") as store:
        request = ask(env.verifier(nonce_store=store), env)
        credential, _ = issue(env)
        restarted = env.verifier(nonce_store=store)  # checks the request's signature instead
        accepted(restarted, present(credential, request), request)


# -- the request -----------------------------------------------------------------------------------


def test_expired_request_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    later = env.verifier(now=int(time.time()) + 601)
    rejected(later, present(credential, request), request, RequestExpired, "request")


def test_request_of_another_verifier_is_rejected(env: Setup) -> None:
    other = Verifier(env.world.reader(), account=env.world.outsider)
    credential, _ = issue(env)
    request = ask(other, env, unsafe_allow_unregistered=True)  # the outsider is no verifier
    rejected(env.verifier(), present(credential, request), request, RequestNotOurs, "request")


def test_request_altered_after_signing_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    altered = dataclasses.replace(request, claims=(("age_over_18",),))
    package = present(credential, altered)
    rejected(verifier, package, altered, RequestSignatureInvalid, "request")


def test_request_for_an_unregistered_type_or_claim_cannot_be_made(env: Setup) -> None:
    verifier = env.verifier()
    with pytest.raises(RequestMalformed):
        verifier.create_request(vct="https://example.dk/unknown/v1", claims=["x"], purpose=PURPOSE)
    with pytest.raises(RequestMalformed):
        verifier.create_request(vct=env.world.vct, claims=["shoe_size"], purpose=PURPOSE)


def test_replayed_nonce_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    package = present(credential, request)
    accepted(verifier, package, request)
    rejected(verifier, package, request, NonceReplayed, "request")


def test_nonce_is_not_consumed_by_a_failed_verification(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    too_much = present(credential, request, disclose=[*VERIFIER_CLAIMS, "cpr_number"])
    rejected(verifier, too_much, request, UnrequestedClaimsDisclosed, "request_match")
    accepted(verifier, present(credential, request), request)


# -- the SD-JWT layer ------------------------------------------------------------------------------


def test_presentation_for_another_nonce_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    other_nonce = ask(verifier, env).nonce
    package = present(credential, request, nonce=other_nonce)
    rejected(verifier, package, request, KeyBindingNonceMismatch, "key_binding")


def test_presentation_for_another_audience_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    package = present(
        credential, request, audience="ethereum:0x0000000000000000000000000000000000000001@1"
    )
    rejected(verifier, package, request, KeyBindingAudienceMismatch, "key_binding")


def test_credential_naming_another_agency_as_issuer_is_rejected(env: Setup) -> None:
    world = env.world
    verifier = env.verifier()
    credential = issue_sd_jwt_vc(
        PERSON,
        signing_key=world.signing_key,
        issuer=issuer_did(world.chain_id, world.verifier.address),  # not the key's owner
        vct=world.vct,
        holder_jwk=HOLDER.public_jwk,
        status_idx=3,
        status_uri=status_uri(
            world.deployment.address("StatusRegistry"), world.chain_id, world.verifier.address, 1
        ),
    )
    request = ask(verifier, env)
    rejected(verifier, present(credential, request), request, IssuerKeyOwnerMismatch, "sd_jwt")


def test_tampered_issuer_signature_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    package = present(credential, request)
    jwt, rest = package.presentation.split("~", 1)
    head, body, signature = jwt.split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    tampered = dataclasses.replace(package, presentation=f"{head}.{body}.{flipped}~{rest}")
    rejected(verifier, tampered, request, InvalidSignature, "sd_jwt")


# -- the presentation against its request --------------------------------------------------------


def test_disclosing_more_than_requested_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    package = present(credential, request, disclose=[*VERIFIER_CLAIMS, "birthdate"])
    error = rejected(verifier, package, request, UnrequestedClaimsDisclosed, "request_match")
    assert "birthdate" in str(error)


def test_disclosing_less_than_requested_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(verifier, env)
    package = present(credential, request, disclose=["age_over_18"])
    error = rejected(verifier, package, request, RequestedClaimMissing, "request_match")
    assert "municipality" in str(error)


def test_credential_of_another_type_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env, vct=OTHER_VCT)
    request = ask(verifier, env)
    package = present(credential, request)
    rejected(verifier, package, request, CredentialTypeMismatch, "request_match")


# -- the chain -------------------------------------------------------------------------------------


def test_status_list_of_another_agency_is_rejected(env: Setup) -> None:
    world = env.world
    verifier = env.verifier()
    credential = issue_sd_jwt_vc(
        PERSON,
        signing_key=world.signing_key,
        issuer=issuer_did(world.chain_id, world.issuer.address),
        vct=world.vct,
        holder_jwk=HOLDER.public_jwk,
        status_idx=3,
        status_uri=status_uri(
            world.deployment.address("StatusRegistry"), world.chain_id, world.verifier.address, 1
        ),
    )
    env.issuer().anchor(credential.digest, world.type_id)
    request = ask(verifier, env)
    rejected(verifier, present(credential, request), request, StatusReferenceInvalid, "status")


def test_unanchored_credential_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env, anchor=False)
    request = ask(verifier, env)
    rejected(verifier, present(credential, request), request, CredentialNotAnchored, "anchor")


def test_revoked_credential_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, idx = issue(env)
    env.issuer().set_status(LIST_ID, idx, CredentialStatus.REVOKED)
    request = ask(verifier, env)
    rejected(verifier, present(credential, request), request, CredentialRevoked, "status")


def test_suspended_credential_is_rejected_until_reinstated(env: Setup) -> None:
    verifier = env.verifier()
    credential, idx = issue(env)
    issuer = env.issuer()
    issuer.set_status(LIST_ID, idx, CredentialStatus.SUSPENDED)
    request = ask(verifier, env)
    rejected(verifier, present(credential, request), request, CredentialSuspended, "status")
    issuer.set_status(LIST_ID, idx, CredentialStatus.VALID)
    accepted(verifier, present(credential, request), request)


def test_credentials_of_a_suspended_issuer_agency_are_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    env.world.advance(5)  # an agency suspended at t is not active at t
    env.world.execute(env.world.reader().actions.suspend_agency(env.world.issuer.address))
    request = ask(verifier, env)
    rejected(
        verifier,
        present(credential, request),
        request,
        IssuerAgencySuspended,
        "issuer_agency_status",
    )


def test_withdrawn_accreditation_keeps_earlier_credentials_valid_but_agency_status_counts(
    env: Setup,
) -> None:
    world = env.world
    verifier = env.verifier()
    credential, _ = issue(env)
    world.advance(5)
    world.execute(
        world.reader().actions.withdraw_accreditation(world.issuer.address, world.type_id)
    )
    request = ask(verifier, env)
    result = accepted(verifier, present(credential, request), request)
    assert result.report.checks[VERIFIER_CHECK_NAMES.index("issuer_accreditation")].passed
    world.execute(world.reader().actions.suspend_agency(world.issuer.address))
    request = ask(verifier, env)
    rejected(
        verifier,
        present(credential, request),
        request,
        IssuerAgencySuspended,
        "issuer_agency_status",
    )


def test_credential_anchored_as_accreditation_is_withdrawn_is_rejected(env: Setup) -> None:
    world = env.world
    verifier = env.verifier()
    # Every block gets the same timestamp: the anchor and the withdrawal share their second, and
    # an accreditation withdrawn at t no longer covers t.
    world.rpc.call("anvil_setBlockTimestampInterval", [0])
    try:
        credential, _ = issue(env)
        world.execute(
            world.reader().actions.withdraw_accreditation(world.issuer.address, world.type_id)
        )
    finally:
        world.rpc.call("anvil_removeBlockTimestampInterval", [])
    request = ask(verifier, env)
    error = rejected(
        verifier,
        present(credential, request),
        request,
        IssuerNotAccreditedAtAnchor,
        "issuer_accreditation",
    )
    assert str(error).startswith(f"the issuer's accreditation for type {world.type_id} was ")
    assert "withdrawn at " in str(error) and "the same second as the anchor" in str(error)


def test_credential_anchored_in_the_second_its_agency_is_suspended_is_rejected_for_that(
    env: Setup,
) -> None:
    world = env.world
    verifier = env.verifier()
    suspend = world.reader().actions.suspend_agency(world.issuer.address)
    world.rpc.call("anvil_setBlockTimestampInterval", [0])  # every block in the same second
    try:
        credential, _ = issue(env)
        world.execute(suspend)
    finally:
        world.rpc.call("anvil_removeBlockTimestampInterval", [])
    anchored_at = world.reader().anchor_of(world.issuer.address, credential.digest)
    assert anchored_at is not None
    t = anchored_at.anchored_at
    assert world.reader().agency(world.issuer.address).suspended_since == t
    same_second = (
        f"the issuing agency was suspended at {t}, the same second as the anchor (the chain "
        "keeps whole seconds, and an anchor in the second of a suspension counts as made by a "
        "suspended agency)"
    )
    request = ask(verifier, env)
    error = rejected(
        verifier,
        present(credential, request),
        request,
        IssuerNotActiveAtAnchor,
        "issuer_accreditation",
    )
    assert str(error) == same_second
    assert error.report is not None and error.report.failed_check is not None
    assert error.report.failed_check.detail == same_second
    # Reinstated, the agency is active now, and the credential still fails for the same reason.
    world.advance(5)
    world.execute(world.reader().actions.reinstate_agency(world.issuer.address))
    request = ask(verifier, env)
    error = rejected(
        verifier,
        present(credential, request),
        request,
        IssuerNotActiveAtAnchor,
        "issuer_accreditation",
    )
    assert str(error) == same_second.replace(
        f"suspended at {t},", f"suspended at {t} (since reinstated),"
    )


def test_stolen_key_cannot_make_credentials_after_its_revocation(env: Setup) -> None:
    world = env.world
    verifier = env.verifier()
    before, _ = issue(env)
    world.advance(5)
    env.issuer().revoke_key(world.signing_key.thumbprint)
    after, _ = issue(env)  # signed with the revoked (stolen) key, anchored after revocation
    request = ask(verifier, env)
    rejected(verifier, present(after, request), request, SigningKeyNotValidAtAnchor, "key_validity")
    request = ask(verifier, env)
    accepted(verifier, present(before, request), request)


def test_request_for_claims_or_a_purpose_not_registered_cannot_be_made(env: Setup) -> None:
    verifier = env.verifier(nonce_store=NonceStore())
    more = ("age_over_18", "cpr_number")
    with pytest.raises(VerifierNotRegisteredForRequest, match=r"for the claims cpr_number;"):
        ask(verifier, env, claims=more)
    with pytest.raises(VerifierNotRegisteredForRequest, match=r"with the purpose 'Marketing'"):
        ask(verifier, env, purpose="Marketing")
    assert verifier._desk._issued == {}  # refused before a nonce was issued or anything signed
    assert ask(verifier, env).claims  # what it is registered for is still asked


def test_verifier_asking_for_claims_it_is_not_registered_for_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    # Only a test makes such a request: it checks the last line of defence, the final check.
    more = ("age_over_18", "cpr_number")
    request = ask(verifier, env, claims=more, unsafe_allow_unregistered=True)
    rejected(
        verifier,
        present(credential, request),
        request,
        VerifierNotAuthorized,
        "verifier_authorization",
    )


def test_verifier_asking_for_another_purpose_is_rejected(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env)
    request = ask(
        verifier, env, purpose="Marketing of municipal events", unsafe_allow_unregistered=True
    )
    rejected(
        verifier,
        present(credential, request),
        request,
        VerifierNotAuthorized,
        "verifier_authorization",
    )


# -- reports and batches -------------------------------------------------------------------------


@pytest.mark.parametrize("overlap", [True, False])
def test_steady_state_verification_is_one_lens_call(
    env: Setup, overlap: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = env.verifier(overlap=overlap)
    credential, _ = issue(env)
    warm = ask(verifier, env)
    accepted(verifier, present(credential, warm), warm)  # first time: key, type, agency name
    request = ask(verifier, env)
    package = present(credential, request)
    rpc_calls: list[bytes] = []
    pipe_calls: list[object] = []
    rpc = verifier._chain.rpc
    pipe = verifier._steps._pipe
    real_raw, real_send = rpc.raw_request, pipe.send
    monkeypatch.setattr(rpc, "raw_request", lambda body: rpc_calls.append(body) or real_raw(body))
    monkeypatch.setattr(pipe, "send", lambda r: pipe_calls.append(r) or real_send(r))
    accepted(verifier, package, request)
    assert len(rpc_calls) + len(pipe_calls) == 1
    assert len(pipe_calls) == (1 if overlap else 0)


def test_check_returns_the_report_instead_of_raising(env: Setup) -> None:
    verifier = env.verifier()
    credential, _ = issue(env, anchor=False)
    request = ask(verifier, env)
    report = verifier.check(present(credential, request), request)
    assert not report.ok
    assert report.failed_check is not None and report.failed_check.name == "anchor"
    assert [c.passed for c in report.checks[:4]] == [True, True, True, True]


@pytest.mark.parametrize("processes", [1, 2])
def test_batch_mixes_valid_and_invalid_presentations_in_order(env: Setup, processes: int) -> None:
    verifier = env.verifier(processes=processes)
    try:
        good, _ = issue(env)
        revoked, idx = issue(env)
        env.issuer().set_status(LIST_ID, idx, CredentialStatus.REVOKED)
        unanchored, _ = issue(env, anchor=False)
        items: list[tuple[PresentationPackage, PresentationRequest]] = []
        expected: list[type[VerificationError] | None] = []
        for _ in range(3):
            request = ask(verifier, env)
            items.append((present(good, request), request))
            expected.append(None)
            request = ask(verifier, env)
            items.append((present(revoked, request), request))
            expected.append(CredentialRevoked)
            request = ask(verifier, env)
            items.append((present(unanchored, request), request))
            expected.append(CredentialNotAnchored)
            request = ask(verifier, env)
            items.append((present(good, request, nonce=ask(verifier, env).nonce), request))
            expected.append(KeyBindingNonceMismatch)
        items.append(items[0])  # the same nonce twice in one batch: the second is a replay
        expected.append(NonceReplayed)
        results = verifier.verify_batch(items)
    finally:
        verifier.close()
    assert len(results) == len(items)
    for result, error in zip(results, expected, strict=True):
        if error is None:
            assert isinstance(result, VerifiedCredentialPresentation)
            assert result.report.ok
        else:
            assert type(result) is error
            report = result.report  # type: ignore[union-attr]
            assert report.failed_check is not None and report.failed_check.error == error.__name__
