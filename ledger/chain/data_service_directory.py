"""The DataServiceDirectory: where the authoritative source of each credential type answers.

Attached as `LedgerChain.directory`. An agency that may anchor a type now (Active and
accredited) publishes the endpoint URL of its data service for the type; the first to publish
holds the entry until it withdraws it or can no longer anchor the type (then another accredited
agency may publish); the council may clear an entry (`CouncilActions.clear_data_service`). A
requester finds the provider of a type from the chain alone: `service_of(type_id)`, used only
while `current`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ledger.chain.core import ContractClient
from ledger.chain.named import record
from ledger.chain.records import DataServiceInfo
from ledger.chain.sender import Receipt
from ledger.errors import DataServiceUrlInvalid

__all__ = ["MAX_URL_BYTES", "DataServiceDirectory", "check_service_url"]

#: The longest URL the directory accepts, in bytes (`DataServiceDirectory.maxUrlLength`).
MAX_URL_BYTES = 256


def check_service_url(url: str) -> str:
    """`url` if it is an absolute http(s) URL of at most `MAX_URL_BYTES` bytes with a host and
    no credentials, query or fragment; else `DataServiceUrlInvalid`. (The contract bounds only
    the length; this check keeps nonsense off the chain.)"""
    try:
        raw = url.encode("ascii")
        parts = urlsplit(url)
    except (UnicodeEncodeError, ValueError):
        raise DataServiceUrlInvalid("a data service URL is ASCII (punycode the host)") from None
    if not 0 < len(raw) <= MAX_URL_BYTES:
        raise DataServiceUrlInvalid(f"a data service URL has 1 to {MAX_URL_BYTES} bytes")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DataServiceUrlInvalid("a data service URL is an absolute http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise DataServiceUrlInvalid(
            "a data service URL has no user, password, query or fragment"
        )
    if any(c.isspace() or ord(c) < 0x21 for c in url):
        raise DataServiceUrlInvalid("a data service URL has no spaces or control characters")
    return url


class DataServiceDirectory(ContractClient):
    """Typed client of the DataServiceDirectory contract."""

    CONTRACT = "DataServiceDirectory"

    def publish(self, type_id: int, url: str) -> Receipt:
        """Publish (or change) the signer's data service URL for `type_id`.

        Raises `DataServiceUrlInvalid` (checked here), `DataServiceDirectoryNotAccredited` (the
        signer may not anchor the type now), `DataServiceDirectoryHeld` (another accredited
        agency holds the type's entry)."""
        return self._send("publish", [type_id, check_service_url(url)])

    def withdraw(self, type_id: int) -> Receipt:
        """Withdraw the signer's data service for `type_id` (`DataServiceDirectoryNotHolder`
        if it holds none)."""
        return self._send("withdraw", [type_id])

    def service_of(self, type_id: int) -> DataServiceInfo | None:
        """The data service published for `type_id`, None if none."""
        tree = self._struct("serviceOf", [type_id])
        if int(tree["agency"], 16) == 0:
            return None
        return record(DataServiceInfo, tree, type_id=type_id)
