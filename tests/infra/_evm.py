"""Hand-assembled EVM contracts for infrastructure tests (no compiler needed)."""

from __future__ import annotations

# Runtime: empty calldata -> STOP; otherwise revert with the calldata as revert data.
#   CALLDATASIZE DUP1 PUSH1 6 JUMPI STOP JUMPDEST DUP1 PUSH0 PUSH0 CALLDATACOPY PUSH0 REVERT
ECHO_REVERT_RUNTIME = bytes.fromhex("3680600657005b805f5f375ffd")

# Runtime: LOG2 with topic0 = calldata[0:32], topic1 = calldata[32:64], data = calldata[64:].
#   CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY  PUSH1 32 MLOAD  PUSH0 MLOAD
#   PUSH1 64 CALLDATASIZE SUB  PUSH1 64  LOG2 STOP
LOG2_RUNTIME = bytes.fromhex("365f5f376020515f51604036036040a200")


def init_code(runtime: bytes) -> bytes:
    """Creation code that deploys `runtime` as is.

    PUSH1 len PUSH1 10 PUSH0 CODECOPY PUSH1 len PUSH0 RETURN, then the runtime.
    """
    n = len(runtime)
    assert n < 256
    return bytes([0x60, n, 0x60, 0x0A, 0x5F, 0x39, 0x60, n, 0x5F, 0xF3]) + runtime
