"""Chain errors: devnet, JSON-RPC transport, transactions, keystores, and `ContractRevert`, the
base of every decoded Solidity custom error (the classes themselves are generated into
`ledger.errors.contracts`).
"""

from __future__ import annotations

from ledger.errors._base import ChainError, ConfigError

__all__ = [
    "AbiError",
    "AnvilNotFound",
    "ArtifactMissing",
    "ConfirmationTimeout",
    "ContractRevert",
    "ContractReverted",
    "DevnetError",
    "KeystoreCorrupt",
    "KeystoreError",
    "KeystoreExists",
    "KeystoreNotFound",
    "NonceGap",
    "P256VerifyUnavailable",
    "RevertedWithPanic",
    "RevertedWithReason",
    "RpcError",
    "RpcTimeout",
    "RpcUnavailable",
    "TransactionFailed",
    "TransactionTimeout",
    "WrongPassphrase",
]


class DevnetError(ChainError):
    """The local devnet (anvil) could not be started, reached or stopped."""


class AnvilNotFound(DevnetError, ConfigError):
    """No anvil executable was found (run `python3 run.py setup` or `npm ci`)."""


class RpcUnavailable(ChainError):
    """The JSON-RPC endpoint did not answer (connection refused, reset or timed out)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"JSON-RPC endpoint {url} is unavailable: {reason}")
        self.url = url
        self.reason = reason


class RpcTimeout(RpcUnavailable):
    """The JSON-RPC endpoint took the request but did not answer within the RPC timeout: the
    node is hung (stopped, stuck or overloaded). `timeout` is the limit in seconds."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(url, f"no answer within {timeout:g} s")
        self.args = (
            f"JSON-RPC endpoint {url} did not answer within {timeout:g} s: the node may be hung, "
            "stopped or overloaded. Check that it runs and answers, or use another node (--rpc / "
            "LEDGER_RPC); if it is only slow, raise the limit (--rpc-timeout / "
            "LEDGER_RPC_TIMEOUT)",
        )
        self.timeout = timeout

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.timeout))


class RpcError(ChainError):
    """The node answered a JSON-RPC request with an error object."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.rpc_message = message
        self.data = data


class ContractReverted(ChainError):
    """A call or gas estimate reverted; `data` is the raw, not yet decoded revert data.

    `ledger.chain.abi.ContractAbi.decode_revert` turns it into a `ContractRevert` subclass.
    """

    def __init__(self, data: bytes, message: str) -> None:
        super().__init__(f"{message} (revert data 0x{data.hex()})" if data else message)
        self.data = data
        self.rpc_message = message


def _format_revert_value(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_format_revert_value(v) for v in value) + "]"
    return str(value)


class ContractRevert(ChainError):
    """A decoded contract revert: base class of every Solidity custom error.

    Subclasses carry the name of the Solidity error they stand for (`TrustRegistryNotAccredited`)
    and are found by that name. The decoded values are in `values` and also set as attributes
    (`err.agency`), except names that would shadow `error_name`, `values`, `data` or `args`.
    `data` is the raw revert data when known.
    """

    _RESERVED = frozenset({"error_name", "values", "data", "args"})

    def __init__(self, error_name: str, values: dict[str, object], *, data: bytes = b"") -> None:
        shown = ", ".join(f"{k}={_format_revert_value(v)}" for k, v in values.items())
        super().__init__(f"{error_name}({shown})")
        self.error_name = error_name
        self.values = dict(values)
        self.data = data
        for key, value in values.items():
            if key and key not in self._RESERVED:
                setattr(self, key, value)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_revert, (type(self), self.error_name, self.values, self.data))

    def explained(self) -> str:
        """What went wrong in words (the first paragraph of this class's docstring: the error's
        NatSpec `@notice`, or its `@dev` where it has no notice), then the error with its values.
        An error the sources leave undocumented has no docstring: then only the error."""
        cls = type(self)
        if cls in _GENERIC_REVERTS or not cls.__doc__:
            return str(self)
        summary = " ".join(cls.__doc__.strip().split("\n\n")[0].split())
        return f"{summary.rstrip('.')}: {self}"


def _rebuild_revert(
    cls: type[ContractRevert], error_name: str, values: dict[str, object], data: bytes
) -> ContractRevert:
    return cls(error_name, values, data=data)


class RevertedWithReason(ContractRevert):
    """The contract reverted with `Error(string)` (a `require` message); see `reason`."""

    reason: str


class RevertedWithPanic(ContractRevert):
    """The contract hit `Panic(uint256)` (overflow, assert, bad index...); see `code`."""

    code: int


_GENERIC_REVERTS: frozenset[type[ContractRevert]] = frozenset(
    {ContractRevert, RevertedWithReason, RevertedWithPanic}
)


class P256VerifyUnavailable(ChainError):
    """The chain has no P256VERIFY precompile (EIP-7951, Osaka hardfork), so its KeyRegistry can
    check no proof of possession and registers no signing key."""


class TransactionFailed(ChainError):
    """A transaction was mined with status 0 and no revert reason could be recovered."""

    def __init__(self, tx_hash: str, message: str) -> None:
        super().__init__(f"transaction {tx_hash} failed: {message}")
        self.tx_hash = tx_hash


class ConfirmationTimeout(ChainError):
    """An anchor was mined but did not get its confirmations in time (no new blocks): it is not
    handed out yet; `recover()` and `flush()` (`ledger anchor`) try again."""


class TransactionTimeout(ChainError):
    """A transaction was not mined within the allotted time."""

    def __init__(self, tx_hash: str, timeout: float) -> None:
        super().__init__(f"transaction {tx_hash} not mined within {timeout:g} s")
        self.tx_hash = tx_hash
        self.timeout = timeout


class NonceGap(ChainError):
    """Pipelined transactions stayed unmined after rebroadcasts (a nonce gap that would not heal,
    or a nonce taken by another transaction)."""


class AbiError(ChainError):
    """A call does not fit the contract ABI (unknown function or event, wrong argument count)."""


class ArtifactMissing(ChainError, ConfigError):
    """A compiled contract artifact is missing (run `python3 scripts/compile`)."""


class KeystoreError(ChainError):
    """An Ethereum keystore file could not be created or unlocked."""


class KeystoreExists(KeystoreError):
    """Refused to overwrite an existing keystore file."""


class KeystoreNotFound(KeystoreError):
    """The keystore file does not exist."""


class KeystoreCorrupt(KeystoreError):
    """The keystore file is not a valid keystore V3 JSON document."""


class WrongPassphrase(KeystoreError):
    """The passphrase does not unlock the keystore (MAC mismatch).

    Agency keystores only; the citizen wallet has its own `WrongWalletPassphrase`.
    """
