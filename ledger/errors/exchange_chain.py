"""Errors of the once-only exchange's chain side: the data service directory and the anchoring
of receipt batches (`ledger.chain.data_service_directory`, `ledger.exchange.anchoring`). A
module of its own beside `exchange` so the two can be edited apart; both are re-exported by
`ledger.errors`."""

from __future__ import annotations

from ledger.errors._base import InputError
from ledger.errors.exchange import ExchangeError

__all__ = [
    "DataServiceNotPublished",
    "DataServiceUrlInvalid",
    "ReceiptAnchorDiverged",
    "ReceiptAnchoringError",
    "ReceiptBatchSizeInvalid",
    "ReceiptSubjectKeyInvalid",
]


class DataServiceUrlInvalid(ExchangeError, InputError):
    """A data service URL is not an absolute http(s) URL of at most 256 ASCII bytes with a host
    and no credentials, query or fragment."""


class DataServiceNotPublished(ExchangeError):
    """No data service is published for the credential type (or its agency can no longer
    anchor the type)."""


class ReceiptAnchoringError(ExchangeError):
    """Family: a source's receipt batches could not be anchored."""


class ReceiptAnchorDiverged(ReceiptAnchoringError):
    """The source's store and the chain disagree about its batches (a batch on chain that the
    store does not have, or with another root or count): anchoring stops, nothing is sent.
    Restore the store that anchored those batches; never anchor from a copy of it."""


class ReceiptSubjectKeyInvalid(ReceiptAnchoringError):
    """A stored receipt's ``subject_key`` is missing or malformed (see
    `ledger.exchange.anchoring` for its form), so its pseudonym cannot be computed; the receipt
    id is named, the subject never."""


class ReceiptBatchSizeInvalid(ReceiptAnchoringError, InputError):
    """A batch size is not in 1..2**32-1 (the contract's count is a uint32)."""
