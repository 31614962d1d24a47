"""The deployed "world" the chain-facing tests, the fault scripts and the benchmarks share: one
builder, no copies. Plain functions and classes (no fixtures): `tests/conftest.py` turns them into
the session fixtures `agency_world` and `wallet_world`; scripts import it by path
(`scripts/_common.py`).

`build_world(rpc)` deploys the suite and sets up, through the council (3 members, threshold 2):

* one credential type (`VCT`, claim names `CLAIMS`, id `world.type_id`);
* an issuer agency ("CPR Office"), admitted, accredited for the type as authority, with a P-256
  signing key (`world.signing_key`) registered on chain from now on, open-ended;
* a verifier agency ("Municipality"), admitted and registered for `VERIFIER_CLAIMS` of the type
  under purpose `PURPOSE` (`purpose_digest`);
* an outsider account (funded, not an agency).

Tests pair the session world with the per-test `chain_snapshot` fixture and build per-test
objects from it (`issuer_chain()`, `make_issuer(tmp_path)`): those hold nonces, which an
`evm_revert` makes stale. The issuer creates its status list on first use
(`ledger.agency.issuer.Issuer`), so nothing in the base world depends on status lists.

`build_wallet_world(rpc)` adds what the wallet tests need on top (`WalletWorld`): a status list
for the issuer and an admitted agency registered for nothing. Its credentials are issued directly
with `ledger.sdjwt.issue_sd_jwt_vc` and anchored with `LedgerChain.anchor` / `anchor_batch`, so
tests control every field (forged, unanchored, someone else's, revoked).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.agency.packages import AnchorEvidence, CredentialPackage, issuer_did, status_uri
from ledger.agency.request import PresentationRequest, create_request, purpose_digest
from ledger.chain.client import CheckRequest, LedgerChain, ProposalOutcome
from ledger.chain.council import CouncilAction, council_execute
from ledger.chain.deploy import Deployment, deploy_suite
from ledger.chain.merkle import MerkleTree
from ledger.chain.rpc import Rpc
from ledger.cli._common import WorkFactors
from ledger.sdjwt import issue_sd_jwt_vc
from ledger.sdjwt.jwk import SigningKey
from ledger.wallet import KdfParams
from ledger.wallet.wallet import Wallet

if TYPE_CHECKING:
    from ledger.agency.issuer import Issuer

__all__ = [
    "CAPACITY",
    "CHEAP_KDF",
    "CHEAP_WORK",
    "CLAIMS",
    "ISSUER_NAME",
    "LIST_ID",
    "PASSPHRASE",
    "PERSON",
    "PURPOSE",
    "VCT",
    "VERIFIER_CLAIMS",
    "VERIFIER_NAME",
    "AgencyWorld",
    "WalletWorld",
    "build_wallet_world",
    "build_world",
    "funded_account",
    "make_wallet",
]

VCT = "https://credentials.example.dk/person/v1"
CLAIMS = (
    "given_name",
    "family_name",
    "birthdate",
    "cpr_number",
    "address",
    "nationality",
    "age_over_18",
    "municipality",
)
#: A person credential's claims (the Danish scenario), all names in `CLAIMS`.
PERSON: dict[str, Any] = {
    "given_name": "Karen",
    "family_name": "Jensen",
    "birthdate": "1990-01-01",
    "cpr_number": "010190-1234",
    "address": "Nørregade 7, 1165 København K",
    "nationality": "DK",
    "age_over_18": True,
    "municipality": "København",
}
ISSUER_NAME = "CPR Office"
VERIFIER_NAME = "Municipality"
#: Purpose text of the verifier registration; the chain holds its keccak256 (`purpose_digest`).
PURPOSE = "Check residence and age for municipal services"
VERIFIER_CLAIMS = ("age_over_18", "municipality")
#: Cheap Argon2id parameters for test wallets (the default takes ~0.5 s per unlock).
CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
#: What tests hand a CLI as click's `obj`: keystores and wallets under cheap work factors (easy to
#: brute-force: tests only).
CHEAP_WORK = WorkFactors(keystore=2**4, wallet=CHEAP_KDF)
PASSPHRASE = "correct horse battery staple"
#: The status list of the wallet world's issuer, and its size.
LIST_ID = 41
CAPACITY = 1024
OUTSIDER_NAME = "Tax Office"


def funded_account(rpc: Rpc, ether: int = 1000) -> LocalAccount:
    """A fresh random account with `ether` ETH (anvil_setBalance, no nonce involved)."""
    account: LocalAccount = Account.from_key(secrets.token_bytes(32))
    rpc.call("anvil_setBalance", [account.address, hex(ether * 10**18)])
    return account


@dataclass(frozen=True)
class AgencyWorld:
    """What `build_world` set up. Methods build fresh chain clients (fresh nonces)."""

    rpc: Rpc
    deployment: Deployment
    council: tuple[LocalAccount, ...]
    issuer: LocalAccount
    signing_key: SigningKey
    verifier: LocalAccount
    outsider: LocalAccount
    type_id: int
    vct: str = VCT
    claims: tuple[str, ...] = CLAIMS
    purpose: str = PURPOSE
    verifier_claims: tuple[str, ...] = VERIFIER_CLAIMS

    @property
    def chain_id(self) -> int:
        """The devnet's chain id."""
        return self.deployment.chain_id

    @property
    def purpose_digest(self) -> bytes:
        """keccak256 of the purpose text (`ledger.agency.request.purpose_digest`)."""
        return purpose_digest(self.purpose)

    @property
    def verifier_claim_mask(self) -> int:
        """Bit mask of `verifier_claims` over `claims`."""
        return sum(1 << self.claims.index(name) for name in self.verifier_claims)

    def chain(self, account: LocalAccount | None = None) -> LedgerChain:
        """A new `LedgerChain` for `account` (read-only without one)."""
        return LedgerChain(self.rpc, self.deployment, account)

    def reader(self) -> LedgerChain:
        """A read-only chain client."""
        return self.chain()

    def issuer_chain(self) -> LedgerChain:
        """A new chain client signing as the issuer agency."""
        return self.chain(self.issuer)

    def verifier_chain(self) -> LedgerChain:
        """A new chain client signing as the verifier agency."""
        return self.chain(self.verifier)

    def execute(self, action: CouncilAction) -> ProposalOutcome:
        """Run a council action through (propose + vote until executed)."""
        return council_execute([self.chain(a) for a in self.council], action)

    def new_agency(self, name: str = "Another Agency", *, accredit: bool = False) -> LocalAccount:
        """A new funded account admitted as an agency (and accredited for the type if asked)."""
        account = funded_account(self.rpc)
        actions = self.reader().actions
        self.execute(actions.admit_agency(account.address, name))
        if accredit:
            self.execute(actions.accredit(account.address, self.type_id, authority=True))
        return account

    def now(self) -> int:
        """Timestamp of the latest block."""
        block = self.rpc.call("eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    def advance(self, seconds: int) -> None:
        """Move chain time forward and mine a block."""
        self.rpc.call("evm_increaseTime", [seconds])
        self.rpc.call("evm_mine", [])

    def checks_on_chain(self, issuer: Issuer, package: CredentialPackage) -> bool:
        """Whether the chain vouches for a credential `issuer` delivered: anchored, its key
        valid at anchor time, its status entry known (one lens read)."""
        from ledger.agency.issuer import package_id

        ref = issuer.status_ref(package)
        check = self.reader().check_credential(
            CheckRequest(
                digest=issuer.outbox.deliverable(package_id(package)).digest,
                kid=self.signing_key.thumbprint,
                list_id=ref.list_id,
                status_index=ref.index,
                root=package.anchor.root or bytes(32),
                proof=package.anchor.proof,
            )
        )
        return check.anchored and check.key_valid_at_anchor and check.status_known

    def make_issuer(self, workdir: Path, **kwargs: Any) -> Issuer:
        """A new `Issuer` for the issuer agency with its outbox and allocator under `workdir`
        (opened; close with `issuer.close()`). `kwargs` go to the `Issuer` constructor."""
        from ledger.agency.issuer import Issuer

        return Issuer.open(self.issuer_chain(), self.signing_key, workdir, **kwargs)


def build_world(
    rpc: Rpc,
    *,
    claims: tuple[str, ...] = CLAIMS,
    verifier_claims: tuple[str, ...] = VERIFIER_CLAIMS,
    council_size: int = 3,
    threshold: int = 2,
) -> AgencyWorld:
    """Deploy the suite and set up the agencies (a dozen transactions, well under a second).
    `claims` are the type's claim names; the verifier is registered for `verifier_claims`
    (among `claims`)."""
    council = tuple(funded_account(rpc) for _ in range(council_size))
    deployment = deploy_suite(
        rpc, funded_account(rpc), council_members=[a.address for a in council], threshold=threshold
    )
    issuer, verifier, outsider = (funded_account(rpc) for _ in range(3))
    members = [LedgerChain(rpc, deployment, a) for a in council]
    actions = members[0].actions

    def run(action: CouncilAction) -> None:
        council_execute(members, action)

    run(actions.register_type(VCT, claims))
    type_id = members[0].type_id_of(VCT)
    run(actions.admit_agency(issuer.address, ISSUER_NAME))
    run(actions.admit_agency(verifier.address, VERIFIER_NAME))
    run(actions.accredit(issuer.address, type_id, authority=True))
    world = AgencyWorld(
        rpc,
        deployment,
        council,
        issuer,
        SigningKey.generate(),
        verifier,
        outsider,
        type_id,
        claims=claims,
        verifier_claims=verifier_claims,
    )
    run(
        actions.register_verifier(
            verifier.address, type_id, world.purpose_digest, world.verifier_claim_mask
        )
    )
    world.issuer_chain().register_key(world.signing_key)
    return world


@dataclass(frozen=True)
class WalletWorld:
    """The agency world plus an issuer status list and an unregistered agency."""

    base: AgencyWorld
    unregistered: LocalAccount

    @property
    def deployment(self) -> Any:
        """The deployment record."""
        return self.base.deployment

    @property
    def chain_id(self) -> int:
        """The devnet chain id."""
        return self.base.deployment.chain_id

    @property
    def rpc(self) -> Rpc:
        """The session JSON-RPC client."""
        return self.base.rpc

    def reader(self) -> LedgerChain:
        """A read-only chain client."""
        return self.base.reader()

    def issue(
        self,
        holder_jwk: Mapping[str, str],
        *,
        claims: Mapping[str, Any] = PERSON,
        signing_key: SigningKey | None = None,
        issuer: str | None = None,
        anchor: str = "single",
        exp: int | None = None,
    ) -> tuple[CredentialPackage, int]:
        """Issue a person credential to `holder_jwk`; anchor it ("single", "batch" or "none").

        Returns the package and its status index.
        """
        base = self.base
        key = signing_key or base.signing_key
        agency = issuer or base.issuer.address
        idx = secrets.randbelow(CAPACITY)
        registry = base.deployment.address("StatusRegistry")
        cred = issue_sd_jwt_vc(
            claims,
            signing_key=key,
            issuer=issuer_did(self.chain_id, agency),
            vct=base.vct,
            holder_jwk=holder_jwk,
            status_idx=idx,
            status_uri=status_uri(registry, self.chain_id, agency, LIST_ID),
            exp=exp,
        )
        evidence = AnchorEvidence()
        chain = base.issuer_chain()
        if anchor == "single":
            chain.anchor(cred.digest, base.type_id)
        elif anchor == "batch":
            others = [secrets.token_bytes(32) for _ in range(4)]
            tree = MerkleTree.from_digests([*others[:2], cred.digest, *others[2:]])
            chain.anchor_batch(tree.root, base.type_id, len(tree))
            evidence = AnchorEvidence(root=tree.root, proof=tuple(tree.proof(2)), leaf_index=2)
        package = CredentialPackage(
            cred.compact, evidence, base.type_id, self.chain_id, {"note": "test"}
        )
        return package, idx

    def set_status(self, idx: int, status: int) -> None:
        """Set the issuer's status entry `idx` (1 revoked, 2 suspended, 0 valid)."""
        self.base.issuer_chain().set_status(LIST_ID, idx, status)

    def request(
        self,
        *,
        claims: Sequence[str] = VERIFIER_CLAIMS,
        purpose: str = PURPOSE,
        account: LocalAccount | None = None,
        ttl: int = 600,
        now: int | None = None,
    ) -> PresentationRequest:
        """A signed presentation request (by the registered verifier unless `account`)."""
        return create_request(
            verifier_account=account or self.base.verifier,
            vct=self.base.vct,
            type_id=self.base.type_id,
            claims=list(claims),
            purpose=purpose,
            audience=None,
            chain_id=self.chain_id,
            registry=self.base.deployment.address("VerifierRegistry"),
            ttl=ttl,
            now=int(time.time()) if now is None else now,
        )


def make_wallet(home: Path) -> Wallet:
    """A new wallet with cheap KDF parameters."""
    return Wallet.init(home, PASSPHRASE, kdf_params=CHEAP_KDF)


def build_wallet_world(rpc: Rpc, **kwargs: Any) -> WalletWorld:
    """`build_world` (`kwargs` go to it), plus the issuer's status list `LIST_ID` and an agency
    registered for nothing."""
    base = build_world(rpc, **kwargs)
    base.issuer_chain().create_status_list(LIST_ID, CAPACITY)
    unregistered = base.new_agency(OUTSIDER_NAME)
    return WalletWorld(base, unregistered)
