// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ISemver} from "../interfaces/ISemver.sol";

/// @title Semver
/// @notice One `version()` for every deployable contract (after EAS `Semver`): the contract
/// states its version once, in its inheritance list (`Semver(1, 1, 0)`).
abstract contract Semver is ISemver {
    uint256 private immutable _major;
    uint256 private immutable _minor;
    uint256 private immutable _patch;

    /// @param major incompatible interface changes
    /// @param minor compatible changes (new behaviour, new storage layout)
    /// @param patch fixes
    constructor(uint256 major, uint256 minor, uint256 patch) {
        _major = major;
        _minor = minor;
        _patch = patch;
    }

    /// @inheritdoc ISemver
    function version() external view returns (string memory) {
        return string.concat(Strings.toString(_major), ".", Strings.toString(_minor), ".", Strings.toString(_patch));
    }
}
