// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title TimeWindow
/// @notice Validity windows [validFrom, validUntil) of accreditations, keys and verifier
/// registrations: validUntil 0 = open-ended, validFrom never before the time of writing, and
/// both stored in 40 bits.
library TimeWindow {
    /// @dev The window's effective start (`validFrom`, but not before now) and whether the
    /// window may be stored. It may not when a time exceeds 2**40 - 1 (stored in uint40, it
    /// would wrap: a far-future validFrom into a back-dated one, validUntil 2**40 into 0 =
    /// open-ended), or when validUntil is neither 0 nor after the start. On failure `from` is
    /// what the caller's `...InvalidWindow(from, validUntil)` error reports: validFrom as given
    /// when a time does not fit, else the effective start.
    function start(uint64 validFrom, uint64 validUntil) internal view returns (uint64 from, bool ok) {
        if (validFrom > type(uint40).max || validUntil > type(uint40).max) return (validFrom, false);
        from = validFrom < block.timestamp ? uint64(block.timestamp) : validFrom;
        ok = validUntil == 0 || validUntil > from;
    }
}
