"""The CredentialTypeRegistry: credential types (`vct`, claim names, versions) by `typeId`.

Attached as `LedgerChain.types`. The council registers types (`CouncilActions.register_type`);
an accredited authority registers new versions of its types here.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.chain.core import ContractClient
from ledger.chain.records import CredentialTypeInfo
from ledger.chain.sender import Receipt
from ledger.errors import ChainError

__all__ = ["TypeRegistry"]


class TypeRegistry(ContractClient):
    """Typed client of the CredentialTypeRegistry contract."""

    CONTRACT = "CredentialTypeRegistry"

    def register_type(self, vct: str, claim_names: Sequence[str], supersedes: int) -> int:
        """Register a new version of a type this account is an authority for; returns its id.

        (The council registers types through `actions.register_type`.)
        """
        receipt = self._send("registerType", [vct, list(claim_names), supersedes])
        return self._registered_type_id(receipt)

    def _registered_type_id(self, receipt: Receipt) -> int:
        topic = self.abi.topic("CredentialTypeRegistered")
        for log in receipt.logs:
            topics = log.get("topics", [])
            if topics and bytes.fromhex(str(topics[0])[2:]) == topic:
                return int(str(topics[1]), 16)
        raise ChainError(f"no CredentialTypeRegistered event in {receipt.tx_hash}")

    def type_id_of(self, vct: str) -> int:
        """The id of `vct`, 0 if not registered."""
        return int(self._view("typeIdOf", [vct]))

    def credential_type(self, type_id: int) -> CredentialTypeInfo:
        """A type record (`CredentialTypeRegistryUnknownType` if none)."""
        return self._record(CredentialTypeInfo, "typeInfo", [type_id])

    def type_count(self) -> int:
        """Number of registered types."""
        return int(self._view("typeCount", []))
