// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";

/// @title Credential type registry: `vct` strings with compact ids, claim names and versions.
/// @notice Type ids start at 1. A verifier's claim mask sets bit i for `claimNames[i]`.
/// `claimSetDigest = keccak256(abi.encode(claimNames))` (order matters: it fixes the bit layout).
/// Who may register: the council (any type), or an agency that is currently a direct accredited
/// authority for the type being superseded (a new version of a type it governs).
/// Each type can be superseded once, so versions form a chain.
interface ICredentialTypeRegistry is ISemver {
    /// @notice A registered credential type.
    struct CredentialType {
        uint32 typeId;
        string vct;
        string[] claimNames;
        bytes32 claimSetDigest;
        uint32 supersedes;
        uint32 supersededBy;
        address registeredBy;
        uint64 registeredAt;
    }

    /// @notice Emitted when a type is registered.
    event CredentialTypeRegistered(
        uint32 indexed typeId, string vct, bytes32 claimSetDigest, uint32 indexed supersedes, address indexed by
    );

    /// @notice The caller is neither the council nor an authority for the superseded type.
    error CredentialTypeRegistryNotAuthorized(address caller, uint32 supersedes);
    /// @notice The vct is already registered.
    error CredentialTypeRegistryDuplicateVct(string vct, uint32 typeId);
    /// @notice An empty vct string.
    error CredentialTypeRegistryEmptyVct();
    /// @notice Claim names must be 1..256 entries.
    error CredentialTypeRegistryInvalidClaimCount(uint256 count);
    /// @notice The type id is not registered.
    error CredentialTypeRegistryUnknownType(uint32 typeId);
    /// @notice The superseded type already has a successor.
    error CredentialTypeRegistryAlreadySuperseded(uint32 typeId, uint32 supersededBy);

    /// @notice Register a type; returns its id.
    function registerType(string calldata vct, string[] calldata claimNames, uint32 supersedes)
        external
        returns (uint32 typeId);
    /// @notice The id of a vct, or 0 if unknown.
    function typeIdOf(string calldata vct) external view returns (uint32);
    /// @notice The full type record (reverts for unknown ids).
    function typeInfo(uint32 typeId) external view returns (CredentialType memory);
    /// @notice Whether a type id is registered.
    function exists(uint32 typeId) external view returns (bool);
    /// @notice Number of claim names of a type (reverts for unknown ids).
    function claimCount(uint32 typeId) external view returns (uint256);
    /// @notice Number of registered types (the highest id).
    function typeCount() external view returns (uint32);
}
