"""The TrustRegistry: agencies (admitted, suspended, removed) and their accreditations.

Attached as `LedgerChain.trust`. The council changes agencies and direct accreditations
(`CouncilActions`); an accredited authority sub-accredits here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_utils.address import to_checksum_address

from ledger.chain.core import ContractClient
from ledger.chain.named import record
from ledger.chain.records import AccreditationInfo, AgencyInfo, AgencyStatus, address_or_none
from ledger.chain.sender import Receipt, TxRequest

__all__ = ["TrustRegistry"]


class TrustRegistry(ContractClient):
    """Typed client of the TrustRegistry contract."""

    CONTRACT = "TrustRegistry"

    def agency(self, agency: str) -> AgencyInfo:
        """The agency record (status NONE if never admitted)."""
        a = self._struct("agencyOf", [agency])
        return record(
            AgencyInfo, a, address=to_checksum_address(agency), status=AgencyStatus(a["status"])
        )

    def agency_status(self, agency: str) -> AgencyStatus:
        """Current status of an agency."""
        return AgencyStatus(self._view("agencyStatus", [agency]))

    def can_anchor(self, agency: str, type_id: int) -> bool:
        """Whether `agency` may anchor `type_id` now."""
        return bool(self._view("canAnchor", [agency, type_id]))

    def is_accredited_at(self, agency: str, type_id: int, t: int) -> bool:
        """Whether `agency` was accredited for `type_id` (and Active) at time `t`."""
        return bool(self._view("isAccreditedAt", [agency, type_id, t]))

    def is_authority(self, agency: str, type_id: int) -> bool:
        """Whether `agency` is a direct accredited authority for `type_id` now."""
        return bool(self._view("isAuthority", [agency, type_id]))

    def is_agency_active_at(self, agency: str, t: int) -> bool:
        """Whether `agency` was Active at `t`."""
        return bool(self._view("isAgencyActiveAt", [agency, t]))

    @staticmethod
    def _accreditation(agency: str, type_id: int, a: Mapping[str, Any]) -> AccreditationInfo:
        return record(
            AccreditationInfo,
            a,
            agency=to_checksum_address(agency),
            type_id=type_id,
            parent=address_or_none(a["parent"]),
        )

    def accreditation(self, agency: str, type_id: int) -> AccreditationInfo:
        """The current (possibly withdrawn) grant."""
        a = self._struct("accreditationOf", [agency, type_id])
        return self._accreditation(agency, type_id, a)

    def accreditation_history(self, agency: str, type_id: int) -> list[AccreditationInfo]:
        """Past grants, oldest first."""
        items = self._struct("accreditationHistory", [agency, type_id])
        return [self._accreditation(agency, type_id, a) for a in items]

    def sub_accredit_tx(
        self, agency: str, type_id: int, *, valid_from: int = 0, valid_until: int = 0
    ) -> TxRequest:
        """Prepared `subAccredit` (this account must be an authority for the type)."""
        return self._tx("subAccredit", [agency, type_id, valid_from, valid_until])

    def sub_accredit(
        self, agency: str, type_id: int, *, valid_from: int = 0, valid_until: int = 0
    ) -> Receipt:
        """Sub-accredit `agency` for `type_id` within this authority's window."""
        return self._core.transact(
            self.sub_accredit_tx(agency, type_id, valid_from=valid_from, valid_until=valid_until)
        )

    def withdraw_sub_accreditation(self, agency: str, type_id: int) -> Receipt:
        """Withdraw a sub-accreditation this account granted."""
        return self._send("withdrawAccreditation", [agency, type_id])
