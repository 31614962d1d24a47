"""`LensPipe`: the lens call pipelined on its own keep-alive HTTP/1.1 connection.

The verifier sends the lens question built from the not yet verified presentation, checks the
signatures while the node answers on another core, and reads the answer afterwards: a
presentation then costs max(signatures, round trip) instead of their sum (DESIGN.md: the hot
path pays no per-call ABI or middleware cost).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from ledger import untrusted_json
from ledger.chain.lens import (
    LENS_CHECK_WORDS,
    CheckRequest,
    CredentialCheck,
    Lens,
    check_calldata,
    decode_check,
)
from ledger.errors import RpcTimeout

__all__ = ["LensPipe"]


class LensPipe:
    """A dedicated keep-alive HTTP/1.1 connection whose lens answer is read later.

    `send` writes one `checkCredential` eth_call (one `sendall` of a prebuilt request) and
    returns at once; the caller verifies signatures meanwhile (the node answers on another core)
    and `receive` reads the answer, so a presentation costs max(signatures, round trip) instead
    of their sum. Plain `http://` endpoints only. Any transport, HTTP or JSON-RPC problem makes
    `send` return False or `receive` return None: the caller then asks through the regular `Rpc`
    (`Lens.check_one`), which raises the proper error — except a node that does not answer within
    `timeout` (default: the lens's `Rpc.timeout`): that raises `RpcTimeout` at once, since
    asking a hung node again would only double the wait. Not thread-safe; the constructor does
    no I/O.
    """

    def __init__(self, lens: Lens, *, timeout: float | None = None) -> None:
        parts = urlsplit(lens.url)
        self._usable = parts.scheme == "http" and bool(parts.hostname)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            "Content-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: "
        ).encode("ascii")
        self._lens = lens.address
        self._url = lens.url
        self._timeout = lens.timeout if timeout is None else timeout
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._pending = False

    def close(self) -> None:
        """Close the connection (it reopens on the next `send`)."""
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._buffer = b""
        self._pending = False

    def send(self, request: CheckRequest) -> bool:
        """Start the lens call for `request`; False if it could not be sent."""
        if not self._usable:
            return False
        if self._pending:
            self.receive()  # an unread answer (the caller gave up on it) must be drained
        data = check_calldata(request).hex()
        body = (
            '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":'
            f'[{{"to":"{self._lens}","data":"0x{data}"}},"latest"]}}'
        ).encode("ascii")
        message = self._head + str(len(body)).encode("ascii") + b"\r\n\r\n" + body
        for _ in range(2):  # an idle keep-alive connection may have been closed by the node
            try:
                if self._sock is None:
                    sock = socket.create_connection((self._host, self._port), self._timeout)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self._sock = sock
                self._sock.sendall(message)
                self._pending = True
                return True
            except TimeoutError as exc:
                self.close()
                raise RpcTimeout(self._url, self._timeout) from exc
            except OSError:
                self.close()
        return False

    def _read_response(self, sock: socket.socket) -> tuple[bytes, bool]:
        buffer = self._buffer
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("connection closed by the node")
            buffer += chunk
        head, _, rest = buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        if not lines[0].startswith(b"HTTP/1.1 200"):
            raise ValueError(f"HTTP status {lines[0][:40]!r}")
        length = -1
        keep = True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                keep = False
            elif name == b"transfer-encoding":
                raise ValueError("chunked replies are not handled here")
        if length < 0:
            raise ValueError("reply without Content-Length")
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("connection closed by the node")
            rest += chunk
        self._buffer = rest[length:]
        return rest[:length], keep

    def receive(self) -> CredentialCheck | None:
        """The answer to the last `send`, or None if it failed (ask again the regular way)."""
        if not self._pending or self._sock is None:
            return None
        self._pending = False
        try:
            payload, keep = self._read_response(self._sock)
            if not keep:
                self.close()
            reply = untrusted_json.loads(payload)
            result = reply.get("result") if isinstance(reply, dict) else None
            if not isinstance(result, str) or len(result) != 2 + 64 * LENS_CHECK_WORDS:
                return None
            return decode_check(bytes.fromhex(result[2:]))
        except TimeoutError as exc:
            self.close()
            raise RpcTimeout(self._url, self._timeout) from exc
        except (OSError, ValueError):
            self.close()
            return None
