"""`LedgerChain`: the deployed contract suite behind one small facade.

Like web3's `w3.eth`, the facade attaches one typed client per contract, all over one shared
`ChainCore` (connection, deployment, revert decoder, signing account):

- `chain.council` — `ledger.chain.council.Council` (proposals, votes, members); the
  proposals themselves are built by `chain.actions` (`CouncilActions`, no I/O);
- `chain.trust` — `TrustRegistry` (agencies, accreditations);
- `chain.types` — `TypeRegistry` (credential types);
- `chain.keys` — `KeyRegistry` (agency signing keys);
- `chain.anchors` — `AnchorRegistry` (credential digests and batch roots);
- `chain.status` — `StatusRegistry` (status lists);
- `chain.verifiers` — `VerifierRegistry` (verifier registrations, their legal basis, and
  `requester_check`, a data source's one read per query);
- `chain.receipts` — `ReceiptRegistry` (the roots of data sources' access-receipt batches);
- `chain.directory` — `DataServiceDirectory` (each credential type's data service URL);
- `chain.lens` — `Lens` (the one-call credential check, `check_one` / `check_many`).

Transactions are signed locally by the account given (from a keystore) through `TxSender`;
reverts surface as the specific `ledger.errors` class of the Solidity custom error, with its
values as attributes. Results are the frozen dataclasses of `ledger.chain.records`, built by
ABI name. The flat names of the pre-split API (`chain.agency(...)`, `chain.anchor(...)`)
remain as one-line delegates (`ledger.chain._flat`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.chain._flat import FlatMethods
from ledger.chain.anchor_registry import AnchorRegistry
from ledger.chain.core import ChainCore
from ledger.chain.council import Council, CouncilActions
from ledger.chain.data_service_directory import DataServiceDirectory
from ledger.chain.deploy import Deployment
from ledger.chain.key_registry import KeyRegistry
from ledger.chain.lens import (
    LENS_CHECK_WORDS,
    CheckRequest,
    CredentialCheck,
    Lens,
    decode_check,
)
from ledger.chain.receipt_registry import ReceiptRegistry
from ledger.chain.records import (
    ZERO32,
    AccreditationInfo,
    AgencyInfo,
    AgencyStatus,
    AnchorInfo,
    CredentialStatus,
    CredentialTypeInfo,
    KeyInfo,
    ProposalInfo,
    ProposalOutcome,
    StatusListInfo,
    VerifierRegistration,
    checksum,
)
from ledger.chain.rpc import Rpc
from ledger.chain.sender import Receipt, TxRequest, TxSender
from ledger.chain.status_registry import StatusRegistry
from ledger.chain.trust_registry import TrustRegistry
from ledger.chain.type_registry import TypeRegistry
from ledger.chain.verifier_registry import VerifierRegistry

__all__ = [
    "LENS_CHECK_WORDS",
    "ZERO32",
    "AccreditationInfo",
    "AgencyInfo",
    "AgencyStatus",
    "AnchorInfo",
    "CheckRequest",
    "CredentialCheck",
    "CredentialStatus",
    "CredentialTypeInfo",
    "KeyInfo",
    "LedgerChain",
    "ProposalInfo",
    "ProposalOutcome",
    "StatusListInfo",
    "VerifierRegistration",
    "checksum",
    "decode_credential_check",
]

#: The lens answer decoder under its pre-split name (`ledger.chain.lens.decode_check`).
decode_credential_check = decode_check


class LedgerChain(FlatMethods):
    """Typed client of the deployed suite: one attribute per contract. The constructor does
    no I/O.

    `account` signs transactions; without one the client is read-only (transactions raise
    `ConfigError`). One `LedgerChain` per account and thread (it owns a `TxSender`).
    """

    def __init__(
        self,
        rpc: Rpc,
        deployment: Deployment,
        account: LocalAccount | None = None,
        *,
        gas_price: int | None = None,
    ) -> None:
        core = ChainCore(rpc, deployment, account, gas_price=gas_price)
        self._core = core
        self.actions = CouncilActions(deployment)
        self.council = Council(core)
        self.trust = TrustRegistry(core)
        self.types = TypeRegistry(core)
        self.keys = KeyRegistry(core)
        self.anchors = AnchorRegistry(core)
        self.status = StatusRegistry(core)
        self.verifiers = VerifierRegistry(core)
        self.receipts = ReceiptRegistry(core)
        self.directory = DataServiceDirectory(core)
        self.lens = Lens(core)

    @property
    def rpc(self) -> Rpc:
        """The JSON-RPC client."""
        return self._core.rpc

    @property
    def deployment(self) -> Deployment:
        """The deployment record."""
        return self._core.deployment

    @property
    def address(self) -> str:
        """The signing account's address (`ConfigError` if read-only)."""
        return self._core.sender.address

    @property
    def sender(self) -> TxSender:
        """The transaction sender (`ConfigError` if read-only)."""
        return self._core.sender

    def tx(self, contract: str, fn: str, args: Sequence[Any], gas: int | None = None) -> TxRequest:
        """A prepared transaction calling `fn(*args)` on suite contract `contract`."""
        return self._core.tx(contract, fn, args, gas)

    def transact(self, request: TxRequest) -> Receipt:
        """Send one prepared transaction and wait; reverts raise their decoded error."""
        return self._core.transact(request)

    def send_many(
        self,
        requests: Sequence[TxRequest],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Receipt]:
        """Send prepared transactions pipelined (consecutive nonces); receipts in order."""
        return self._core.send_many(requests, progress=progress)

    def view(
        self, contract: str, fn: str, args: Sequence[Any], *, block: str | int = "latest"
    ) -> tuple[Any, ...]:
        """Call a view and decode its result; reverts raise their decoded error."""
        return self._core.view(contract, fn, args, block=block)

    def views(
        self, contract: str, fn: str, args_list: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """`view` of `fn` once per argument list, all in one JSON-RPC batch."""
        return self._core.views(contract, fn, args_list)
