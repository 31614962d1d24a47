"""What every per-contract client shares: the connection, the deployment, the signing account.

`ChainCore` owns the `Rpc`, the `Deployment`, the suite's revert decoder and (with an account)
the `TxSender`; `ContractClient` is the base of the per-contract clients (`ledger.chain.council`,
`trust_registry`, `type_registry`, `key_registry`, `anchor_registry`, `status_registry`,
`verifier_registry`, `lens`) that `LedgerChain` attaches, each over one shared core. Views
go through `Rpc.eth_call`; reverts surface as the specific `ledger.errors` class of the
Solidity custom error. Constructors do no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from eth_account.signers.local import LocalAccount

from ledger.chain.abi import ContractAbi, ErrorDecoder
from ledger.chain.deploy import Deployment, contract_abi, suite_error_decoder
from ledger.chain.named import decode_named, record
from ledger.chain.rpc import Rpc
from ledger.chain.sender import Receipt, TxRequest, TxSender
from ledger.errors import ConfigError, ContractReverted

__all__ = ["ChainCore", "ContractClient"]

_T = TypeVar("_T")


class ChainCore:
    """Connection, deployment, revert decoder and (optional) signing account of a client.

    Without an account the core is read-only (transactions raise `ConfigError`). One core per
    account and thread (it owns a `TxSender`).
    """

    def __init__(
        self,
        rpc: Rpc,
        deployment: Deployment,
        account: LocalAccount | None = None,
        *,
        gas_price: int | None = None,
    ) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self.account = account
        self.decoder: ErrorDecoder = suite_error_decoder()
        self._sender = (
            TxSender(rpc, account, decoder=self.decoder, gas_price=gas_price)
            if account is not None
            else None
        )

    @property
    def sender(self) -> TxSender:
        """The transaction sender (`ConfigError` if read-only)."""
        if self._sender is None:
            raise ConfigError("this LedgerChain has no account: it can only read")
        return self._sender

    def tx(self, contract: str, fn: str, args: Sequence[Any], gas: int | None = None) -> TxRequest:
        """A prepared transaction calling `fn(*args)` on suite contract `contract`."""
        data = contract_abi(contract).encode_call(fn, list(args))
        return TxRequest(to=self.deployment.address(contract), data=data, gas=gas)

    def transact(self, request: TxRequest) -> Receipt:
        """Send one prepared transaction and wait; reverts raise their decoded error."""
        if request.to is None:
            raise ConfigError("transact() does not deploy contracts")
        return self.sender.transact(request.to, request.data, gas=request.gas)

    def send_many(
        self,
        requests: Sequence[TxRequest],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Receipt]:
        """Send prepared transactions pipelined (consecutive nonces); receipts in order."""
        return self.sender.send_many(requests, progress=progress)

    def call(self, contract: str, data: bytes, *, block: str | int = "latest") -> bytes:
        """The raw answer of an `eth_call` of `data` to `contract`; reverts decoded."""
        try:
            return self.rpc.eth_call(self.deployment.address(contract), data, block=block)
        except ContractReverted as exc:
            raise self.decoder(exc.data) from exc

    def view(
        self, contract: str, fn: str, args: Sequence[Any], *, block: str | int = "latest"
    ) -> tuple[Any, ...]:
        """Call a view and decode its result; reverts raise their decoded error."""
        abi = contract_abi(contract)
        raw = self.call(contract, abi.encode_call(fn, list(args)), block=block)
        return abi.decode_result(fn, raw)

    def views(
        self, contract: str, fn: str, args_list: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """`view` of `fn` once per argument list, all in one JSON-RPC batch."""
        abi = contract_abi(contract)
        to = self.deployment.address(contract)
        calls = [
            ("eth_call", [{"to": to, "data": "0x" + abi.encode_call(fn, list(a)).hex()}, "latest"])
            for a in args_list
        ]
        try:
            raws = self.rpc.batch(calls)
        except ContractReverted as exc:
            raise self.decoder(exc.data) from exc
        return [abi.decode_result(fn, bytes.fromhex(str(raw)[2:])) for raw in raws]

    def named(self, contract: str, fn: str, args: Sequence[Any]) -> dict[str, Any]:
        """A view's result by ABI name (`ledger.chain.named.named_tree`)."""
        abi = contract_abi(contract)
        return decode_named(abi, fn, self.call(contract, abi.encode_call(fn, list(args))))


class ContractClient:
    """Base of a per-contract client: `CONTRACT` names the suite contract it speaks to."""

    CONTRACT: ClassVar[str]

    def __init__(self, core: ChainCore) -> None:
        self._core = core

    @property
    def address(self) -> str:
        """The contract's address in the deployment."""
        return self._core.deployment.address(self.CONTRACT)

    @property
    def abi(self) -> ContractAbi:
        """The contract's ABI codec."""
        return contract_abi(self.CONTRACT)

    def _view(self, fn: str, args: Sequence[Any]) -> Any:
        """The single return value of view `fn`."""
        return self._core.view(self.CONTRACT, fn, args)[0]

    def _struct(self, fn: str, args: Sequence[Any]) -> Any:
        """The single (struct) return value of view `fn`, by ABI name (`named.named_tree`)."""
        (tree,) = self._core.named(self.CONTRACT, fn, args).values()
        return tree

    def _record(self, cls: type[_T], fn: str, args: Sequence[Any], **given: Any) -> _T:
        """`cls` built by ABI name from the struct view `fn` returns (`named.record`)."""
        return record(cls, self._struct(fn, args), **given)

    def _tx(self, fn: str, args: Sequence[Any], gas: int | None = None) -> TxRequest:
        return self._core.tx(self.CONTRACT, fn, args, gas)

    def _send(self, fn: str, args: Sequence[Any]) -> Receipt:
        return self._core.transact(self._core.tx(self.CONTRACT, fn, args))
