"""Fast Ethereum JSON-RPC over one keep-alive HTTP connection.

web3.py costs about 1–10 ms per call in middleware and validation; a raw keep-alive HTTP
request to anvil costs about 0.35 ms and a call inside a raw JSON-RPC batch about 0.04 ms.
This client is the hot path; `Rpc.web3()` gives a `Web3` for everything else.

Timeouts: every socket operation of a request (connect, send, each read) is bounded by the
client's `timeout` (`DEFAULT_RPC_TIMEOUT` unless configured: `ledger.network` reads
`--rpc-timeout`, `LEDGER_RPC_TIMEOUT` or `rpc_timeout` in `network.json`). A node that takes the
request and never answers — hung, SIGSTOPped, overloaded — raises `RpcTimeout` naming it, and
the request is not retried: a node that did not answer once is not asked again by this call.
Waiting for a transaction to be mined is another matter, bounded by its own timeout in
`ledger.chain.sender`; each receipt poll is an ordinary request under this one.

Threading: an `Rpc` owns one HTTP connection and serialises requests on it with a lock, so
sharing an instance between threads is safe but gives no parallelism — use one `Rpc` per thread
for concurrent requests.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ledger import untrusted_json
from ledger.errors import (
    ChainError,
    ContractReverted,
    JsonRejected,
    RpcError,
    RpcTimeout,
    RpcUnavailable,
)

if TYPE_CHECKING:
    from web3 import Web3

__all__ = ["DEFAULT_RPC_TIMEOUT", "Rpc", "hex_to_bytes", "to_hex"]

#: Seconds a node may take over any one socket operation of a request before `RpcTimeout`.
#: A view or a transaction submission on a healthy node takes milliseconds; a few seconds
#: leave room for a busy node without making a person wait half a minute for a hung one.
DEFAULT_RPC_TIMEOUT = 5.0
# The largest reply parsed (eth_getLogs over a long range can be large; none is near this).
MAX_REPLY_BYTES = 256 * 1024 * 1024

_HEADERS = {"Content-Type": "application/json", "Connection": "keep-alive"}
# Connection-level failures after which one retry on a fresh connection is safe: the node either
# never got the request or closed an idle keep-alive connection.
_RETRYABLE = (
    http.client.RemoteDisconnected,
    http.client.CannotSendRequest,
    http.client.BadStatusLine,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)


def to_hex(data: bytes) -> str:
    """`0x`-prefixed lowercase hex of `data`."""
    return "0x" + data.hex()


def hex_to_bytes(value: str) -> bytes:
    """Bytes of a `0x`-prefixed hex string."""
    return bytes.fromhex(value[2:] if value.startswith(("0x", "0X")) else value)


def _error_from(err: dict[str, Any]) -> ChainError:
    code = int(err.get("code", 0))
    message = str(err.get("message", ""))
    data = err.get("data")
    if code == 3 or "revert" in message.lower():
        raw = b""
        if isinstance(data, str) and data.startswith("0x"):
            raw = hex_to_bytes(data)
        elif isinstance(data, dict) and isinstance(data.get("data"), str):
            raw = hex_to_bytes(data["data"])
        return ContractReverted(raw, message)
    return RpcError(code, message, data)


def _why_unreachable(exc: BaseException) -> str:
    """A reason a person can act on, with the exception itself for support."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return (
            "nothing is listening there; is the node (or `ledger devnet up`) running? "
            f"({detail})"
        )
    if isinstance(exc, TimeoutError):
        return f"no answer in time ({detail})"
    if isinstance(exc, socket.gaierror):
        return f"the host name does not resolve ({detail})"
    return detail


class Rpc:
    """A JSON-RPC client for one endpoint; the constructor does no I/O.

    `call` and `batch` raise `RpcUnavailable` when the endpoint cannot be reached, `RpcTimeout`
    when it takes a request and does not answer within `timeout` seconds, `RpcError` for a
    JSON-RPC error object and `ContractReverted` (raw revert data) when a call or gas estimate
    reverts.
    """

    def __init__(self, url: str, *, timeout: float = DEFAULT_RPC_TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RpcUnavailable(url, "only http:// and https:// URLs are supported")
        self._url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path or "/"
        if parts.query:
            self._path += "?" + parts.query
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._chain_id: int | None = None

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return self._url

    @property
    def timeout(self) -> float:
        """Seconds any one socket operation of a request may take (see the module docstring)."""
        return self._timeout

    # -- transport ----------------------------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        conn.connect()
        # Small request/response pairs: Nagle's algorithm would add latency.
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _post_once(self, body: bytes) -> bytes:
        if self._conn is None:
            self._conn = self._connect()
        self._conn.request("POST", self._path, body, _HEADERS)
        response = self._conn.getresponse()
        payload = response.read()
        if response.status != 200 and not payload.startswith((b"{", b"[")):
            raise RpcError(response.status, f"HTTP {response.status} {response.reason}")
        if response.will_close:
            self._conn.close()
            self._conn = None
        return payload

    def raw_request(self, body: bytes) -> Any:
        """POST a prebuilt JSON-RPC request (or batch) and return the parsed JSON reply."""
        with self._lock:
            try:
                try:
                    payload = self._post_once(body)
                except _RETRYABLE:
                    self._drop_connection()
                    payload = self._post_once(body)
            except TimeoutError as exc:
                self._drop_connection()  # a late answer must not be read as the next one's
                raise RpcTimeout(self._url, self._timeout) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                raise RpcUnavailable(self._url, _why_unreachable(exc)) from exc
        try:
            return untrusted_json.loads(payload, max_bytes=MAX_REPLY_BYTES)
        except JsonRejected as exc:
            raise RpcError(
                -32700, f"unparseable JSON-RPC reply ({exc}): {payload[:200]!r}"
            ) from exc

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        """Close the HTTP connection (it reopens on the next request)."""
        with self._lock:
            self._drop_connection()

    def __enter__(self) -> Rpc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- JSON-RPC -----------------------------------------------------------------------------

    def _body(self, method: str, params: list[Any] | str) -> bytes:
        encoded = params if isinstance(params, str) else json.dumps(params, separators=(",", ":"))
        return (
            f'{{"jsonrpc":"2.0","id":{next(self._ids)},"method":"{method}","params":{encoded}}}'
        ).encode()

    def call(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC request; returns `result` or raises (see the class docstring)."""
        return self._result(self.raw_request(self._body(method, params)))

    def call_prebuilt(self, method: str, params_json: str) -> Any:
        """Like `call`, with the params already serialised as a JSON array string."""
        return self._result(self.raw_request(self._body(method, params_json)))

    @staticmethod
    def _result(reply: Any) -> Any:
        if not isinstance(reply, dict):
            raise RpcError(-32603, f"unexpected JSON-RPC reply: {str(reply)[:200]}")
        if "error" in reply and reply["error"] is not None:
            raise _error_from(reply["error"])
        return reply.get("result")

    def batch(
        self, calls: Sequence[tuple[str, list[Any]]], *, raise_errors: bool = True
    ) -> list[Any]:
        """Send `calls` as one JSON-RPC batch; results come back in the order of `calls`.

        With `raise_errors` (the default) the first failed item raises its error. With
        `raise_errors=False` a failed item's slot holds the exception instance instead
        (`RpcError` or `ContractReverted`), so the caller can inspect each item.
        """
        if not calls:
            return []
        first = next(self._ids)
        for _ in range(len(calls) - 1):
            next(self._ids)
        parts = [
            f'{{"jsonrpc":"2.0","id":{first + i},"method":"{method}","params":'
            f"{json.dumps(params, separators=(',', ':'))}}}"
            for i, (method, params) in enumerate(calls)
        ]
        reply = self.raw_request(("[" + ",".join(parts) + "]").encode())
        if not isinstance(reply, list):
            # A node that rejects the whole batch answers with a single error object.
            self._result(reply)
            raise RpcError(-32603, "batch request answered with a single reply")
        results: list[Any] = [None] * len(calls)
        seen = [False] * len(calls)
        for item in reply:
            index = int(item.get("id", -1)) - first if isinstance(item, dict) else -1
            if not 0 <= index < len(calls):
                raise RpcError(-32603, f"batch reply with unknown id: {str(item)[:200]}")
            seen[index] = True
            if item.get("error") is not None:
                error = _error_from(item["error"])
                if raise_errors:
                    raise error
                results[index] = error
            else:
                results[index] = item.get("result")
        if not all(seen):
            raise RpcError(-32603, "batch reply is missing items")
        return results

    # -- common methods -----------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        """Chain id, fetched once and cached."""
        if self._chain_id is None:
            self._chain_id = int(self.call("eth_chainId", []), 16)
        return self._chain_id

    def block_number(self) -> int:
        """Number of the latest block."""
        return int(self.call("eth_blockNumber", []), 16)

    def get_balance(self, address: str, *, block: str | int = "latest") -> int:
        """Balance of `address` in wei."""
        return int(self.call("eth_getBalance", [address, _block_tag(block)]), 16)

    def get_code(self, address: str, *, block: str | int = "latest") -> bytes:
        """Runtime code at `address` (empty for an account without code)."""
        return hex_to_bytes(self.call("eth_getCode", [address, _block_tag(block)]))

    def eth_call(
        self,
        to: str,
        data: bytes,
        *,
        block: str | int = "latest",
        sender: str | None = None,
    ) -> bytes:
        """`eth_call` with prebuilt calldata; returns the raw return data.

        Raises `ContractReverted` with the raw revert data when the call reverts.
        """
        sender_part = f',"from":"{sender}"' if sender else ""
        params = f'[{{"to":"{to}","data":"0x{data.hex()}"{sender_part}}},"{_block_tag(block)}"]'
        return hex_to_bytes(self.call_prebuilt("eth_call", params))

    def web3(self, *, poa: bool = False) -> Web3:
        """A `Web3` on the same endpoint for non-hot paths (chain id requests cached), under
        the same timeout (web3 raises its own `requests` timeout error, not `RpcTimeout`).

        `poa=True` injects web3's proof-of-authority extraData middleware, needed to read
        blocks from Besu/QBFT (or Clique) networks.
        """
        from web3 import HTTPProvider, Web3
        from web3.middleware import ExtraDataToPOAMiddleware

        # No retries: web3's default retries a timed-out request 5 times, so a hung node would
        # hold the caller for six timeouts plus backoff instead of one.
        provider = HTTPProvider(
            self._url,
            request_kwargs={"timeout": self._timeout},
            exception_retry_configuration=None,
            cache_allowed_requests=True,
        )
        w3 = Web3(provider)
        if poa:
            w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0, name="proof_of_authority")
        return w3


def _block_tag(block: str | int) -> str:
    return hex(block) if isinstance(block, int) else block
