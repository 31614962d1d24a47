"""Constants shared by the wallet tests (a module of its own: `conftest` is not importable by
name when several test folders have one)."""

from __future__ import annotations

from ledger.wallet import KdfParams

CHEAP_KDF = KdfParams(memory_kib=1024, iterations=1, lanes=1)
PASSPHRASE = "correct horse battery staple"
