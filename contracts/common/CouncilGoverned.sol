// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title CouncilGoverned
/// @notice The registries' one authority: the Council contract holds the council role (and the
/// admin role over it) from construction; nobody else, the deployer included, holds either.
/// Each registry refuses non-council callers with its own prefixed error
/// (`if (!_isCouncil(msg.sender)) revert TrustRegistryNotCouncil(msg.sender);`).
abstract contract CouncilGoverned is AccessControl {
    /// @notice Role held by the Council contract.
    bytes32 public constant COUNCIL_ROLE = keccak256("COUNCIL_ROLE");

    /// @param council the Council contract (gets the council and admin roles)
    constructor(address council) {
        _grantRole(DEFAULT_ADMIN_ROLE, council);
        _grantRole(COUNCIL_ROLE, council);
    }

    /// @dev Whether `account` holds the council role.
    function _isCouncil(address account) internal view returns (bool) {
        return hasRole(COUNCIL_ROLE, account);
    }
}
