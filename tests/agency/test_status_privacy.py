"""Privacy toward the node operator: `Verifier(status_privacy="herd")`.

In herd mode the verifier reads a credential's status as whole status-list words (cached per
block) and asks the lens about a batch ROOT, proving the leaf's inclusion itself, so the JSON-RPC
requests it sends carry no status index and, for a batch-anchored credential, nothing specific
to the credential. Both modes must reach the same verdicts.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from test_verifier import (
    CAPACITY,
    LIST_ID,
    Setup,
    accepted,
    ask,
    issue,
    present,
    rejected,
)

from ledger.agency.packages import AnchorEvidence
from ledger.chain.client import CredentialStatus
from ledger.chain.merkle import MerkleTree, leaf_hash
from ledger.errors import (
    ConfigError,
    CredentialNotAnchored,
    CredentialRevoked,
    CredentialSuspended,
    IssuerAgencySuspended,
    VerificationError,
)

MODES = ("direct", "herd")


@pytest.fixture
def env(setup: Setup, chain_snapshot: str) -> Iterator[Setup]:
    """The verifier tests' setup, reverted after the test."""
    yield setup


def verdict(env: Setup, mode: str, credential: Any, anchor: AnchorEvidence | None = None) -> Any:
    """(failed check, error class, detail) of verifying `credential` in `mode`; the report's
    detail of the status check when it passes."""
    with env.verifier(status_privacy=mode) as verifier:
        request = ask(verifier, env)
        package = present(credential, request, anchor=anchor)
        try:
            result = verifier.verify(package, request)
        except VerificationError as exc:
            assert exc.report is not None and exc.report.failed_check is not None
            failed = exc.report.failed_check
            return (failed.name, type(exc), failed.detail)
        status = next(c for c in result.report.checks if c.name == "status")
        return (None, None, status.detail)


def batch(env: Setup, size: int = 5) -> tuple[list[Any], MerkleTree]:
    credentials = [issue(env, anchor=False)[0] for _ in range(size)]
    tree = MerkleTree.from_digests([c.digest for c in credentials])
    env.issuer().anchor_batch(tree.root, env.world.type_id, size)
    return credentials, tree


def test_both_modes_accept_a_valid_credential_anchored_alone_or_in_a_batch(env: Setup) -> None:
    single, _ = issue(env)
    credentials, tree = batch(env)
    evidence = AnchorEvidence(root=tree.root, proof=tuple(tree.proof(2)), leaf_index=2)
    for mode in MODES:
        assert verdict(env, mode, single)[:2] == (None, None)
        assert verdict(env, mode, credentials[2], evidence)[:2] == (None, None)
    assert verdict(env, "herd", single) == verdict(env, "direct", single)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (CredentialStatus.REVOKED, CredentialRevoked),
        (CredentialStatus.SUSPENDED, CredentialSuspended),
    ],
)
def test_both_modes_reject_a_revoked_or_suspended_credential_alike(
    env: Setup, status: CredentialStatus, error: type[VerificationError]
) -> None:
    credential, idx = issue(env)
    env.issuer().set_status(LIST_ID, idx, status)
    herd, direct = verdict(env, "herd", credential), verdict(env, "direct", credential)
    assert herd == direct
    assert herd[:2] == ("status", error)


def test_both_modes_reject_a_batch_credential_with_another_leafs_proof(env: Setup) -> None:
    credentials, tree = batch(env, 4)
    wrong = AnchorEvidence(root=tree.root, proof=tuple(tree.proof(1)), leaf_index=1)
    herd = verdict(env, "herd", credentials[2], wrong)
    direct = verdict(env, "direct", credentials[2], wrong)
    assert herd == direct
    assert herd[:2] == ("anchor", CredentialNotAnchored)


def test_both_modes_reject_credentials_of_a_suspended_agency_alike(env: Setup) -> None:
    world = env.world
    credential, _ = issue(env)
    world.advance(5)
    world.execute(world.reader().actions.suspend_agency(world.issuer.address))
    herd, direct = verdict(env, "herd", credential), verdict(env, "direct", credential)
    assert herd == direct
    assert herd[:2] == ("issuer_agency_status", IssuerAgencySuspended)


def test_a_status_change_is_seen_in_the_next_block_despite_the_cache(env: Setup) -> None:
    credential, idx = issue(env)
    with env.verifier(status_privacy="herd") as verifier:
        request = ask(verifier, env)
        accepted(verifier, present(credential, request), request)
        env.issuer().set_status(LIST_ID, idx, CredentialStatus.REVOKED)
        request = ask(verifier, env)
        rejected(verifier, present(credential, request), request, CredentialRevoked, "status")


def test_batch_verification_gives_the_same_verdicts_in_herd_mode(env: Setup) -> None:
    good, _ = issue(env)
    revoked, idx = issue(env)
    env.issuer().set_status(LIST_ID, idx, CredentialStatus.REVOKED)
    outcomes = {}
    for mode in MODES:
        with env.verifier(status_privacy=mode) as verifier:
            items = []
            for credential in (good, revoked, good):
                request = ask(verifier, env)
                items.append((present(credential, request), request))
            results = verifier.verify_batch(items)
            outcomes[mode] = [type(r).__name__ for r in results]
    assert outcomes["herd"] == outcomes["direct"]
    assert outcomes["herd"] == [
        "VerifiedCredentialPresentation",
        "CredentialRevoked",
        "VerifiedCredentialPresentation",
    ]


def test_an_unknown_privacy_mode_is_refused(env: Setup) -> None:
    with pytest.raises(ConfigError, match="status_privacy"):
        env.verifier(status_privacy="hidden")


# -- what the node sees ----------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every byte string written to a socket during the test (both the `Rpc` connection and
    the verifier's overlapped lens pipe write through `socket.sendall`)."""
    recorded: list[bytes] = []
    real = socket.socket.sendall

    def sendall(self: socket.socket, data: Any, *args: Any) -> None:
        recorded.append(bytes(data))
        real(self, data, *args)

    monkeypatch.setattr(socket.socket, "sendall", sendall)
    return recorded


def word(value: int) -> str:
    return value.to_bytes(32, "big").hex()


def issue_at(env: Setup, idx: int, *, anchor: bool) -> Any:
    """A credential at status index `idx` (re-drawn by `issue` until it lands there)."""
    while True:
        credential, got = issue(env, anchor=False)
        if got == idx:
            if anchor:
                env.issuer().anchor(credential.digest, env.world.type_id)
            return credential


@pytest.mark.parametrize("overlap", [True, False])
def test_herd_mode_sends_no_status_index_and_nothing_of_a_batch_credential(
    env: Setup, sent: list[bytes], overlap: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = 777  # not a word count, list id or offset of any request: a distinctive word
    assert idx < CAPACITY
    monkeypatch.setattr("test_verifier.secrets.randbelow", lambda _n: idx)
    credentials = [issue_at(env, idx, anchor=False) for _ in range(3)]
    tree = MerkleTree.from_digests([c.digest for c in credentials])
    env.issuer().anchor_batch(tree.root, env.world.type_id, 3)
    evidence = AnchorEvidence(root=tree.root, proof=tuple(tree.proof(1)), leaf_index=1)
    single = issue_at(env, idx, anchor=True)
    secret = [credentials[1].digest.hex(), leaf_hash(credentials[1].digest).hex()]
    secret += [p.hex() for p in evidence.proof]

    with env.verifier(status_privacy="herd", overlap=overlap) as verifier:
        requests = [ask(verifier, env) for _ in range(2)]
        sent.clear()  # requests are made before: what matters is what verifying sends
        accepted(verifier, present(credentials[1], requests[0], anchor=evidence), requests[0])
        batch_traffic = b"".join(sent).decode("latin-1").lower()
        sent.clear()
        accepted(verifier, present(single, requests[1]), requests[1])
        single_traffic = b"".join(sent).decode("latin-1").lower()

    assert batch_traffic and single_traffic
    for traffic in (batch_traffic, single_traffic):
        assert word(idx) not in traffic
    for value in secret:
        assert value not in batch_traffic
    assert tree.root.hex() in batch_traffic  # shared by the whole batch
    # The stated limit: a credential anchored alone is looked up by its own digest.
    assert single.digest.hex() in single_traffic

    with env.verifier(status_privacy="direct", overlap=overlap) as verifier:
        request = ask(verifier, env)
        sent.clear()
        accepted(verifier, present(single, request), request)
        assert word(idx) in b"".join(sent).decode("latin-1").lower()  # the test can see it
