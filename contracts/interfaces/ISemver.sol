// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Semantic version of a deployed contract (after EAS `ISemver`).
interface ISemver {
    /// @notice Contract version, "major.minor.patch".
    function version() external view returns (string memory);
}
