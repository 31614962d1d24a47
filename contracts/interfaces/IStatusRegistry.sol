// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";
import {ITrustRegistry} from "./ITrustRegistry.sol";

/// @title Status registry: per-agency status lists, 2 bits per entry (IETF Token Status List).
/// @notice Lists are keyed by (agency, listId); the agency that created a list is its only
/// writer. While not Active (suspended or removed) it can still revoke and suspend entries, but
/// not set any entry back to valid: a compromised or expelled agency cannot lift a suspension.
/// Entry i lives in word i / 128 at bit offset 2 * (i % 128), LSB first. Values: 0 valid,
/// 1 revoked, 2 suspended (3 reserved, rejected).
interface IStatusRegistry is ISemver {
    /// @notice Emitted when an agency creates a list.
    event StatusListCreated(address indexed agency, uint32 indexed listId, uint64 capacity);
    /// @notice Emitted when one entry changes.
    event StatusChanged(address indexed agency, uint32 indexed listId, uint256 index, uint8 status);
    /// @notice Emitted once for a batch update (all entries set to `status`).
    event StatusesChanged(address indexed agency, uint32 indexed listId, uint256[] indexes, uint8 status);

    /// @notice Only an Active agency creates lists or sets entries to valid.
    error StatusRegistryAgencyNotActive(address agency, ITrustRegistry.AgencyStatus status);
    /// @notice Capacity must be a non-zero multiple of 128.
    error StatusRegistryInvalidCapacity(uint64 capacity);
    /// @notice The list already exists.
    error StatusRegistryListExists(address agency, uint32 listId);
    /// @notice The list does not exist.
    error StatusRegistryUnknownList(address agency, uint32 listId);
    /// @notice The index is outside the list.
    error StatusRegistryIndexOutOfRange(uint32 listId, uint256 index, uint64 capacity);
    /// @notice The status value is not 0, 1 or 2.
    error StatusRegistryInvalidStatus(uint8 status);
    /// @notice A batch update with no indexes.
    error StatusRegistryEmptyBatch(uint32 listId);
    /// @notice A revoked entry cannot be set back to valid or to suspended.
    error StatusRegistryRevocationIsFinal(uint32 listId, uint256 index);
    /// @notice A page that reaches past the end of the list.
    error StatusRegistryPageOutOfRange(uint32 listId, uint256 fromWord, uint256 count, uint256 words);

    /// @notice Create a list of `capacity` entries (a multiple of 128) for the calling agency.
    function createStatusList(uint32 listId, uint64 capacity) external;
    /// @notice Set one entry of the caller's list. Revocation (1) is final; setting 0 (valid)
    /// needs the caller to be an Active agency.
    function setStatus(uint32 listId, uint256 index, uint8 status) external;
    /// @notice Set many entries of the caller's list to one status (one event); all or none
    /// (reverts if any entry is revoked and `status` is not; 0 needs an Active agency).
    function setStatuses(uint32 listId, uint256[] calldata indexes, uint8 status) external;
    /// @notice The status of one entry (reverts for unknown list / out of range).
    function statusOf(address agency, uint32 listId, uint256 index) external view returns (uint8);
    /// @notice Like statusOf but never reverts: known = false for unknown list / out of range.
    function tryStatusOf(address agency, uint32 listId, uint256 index) external view returns (bool known, uint8 status);
    /// @notice A page of raw words (128 entries each) so a reader need not reveal its index.
    function statusWords(address agency, uint32 listId, uint256 fromWord, uint256 count)
        external
        view
        returns (uint256[] memory words);
    /// @notice The list's capacity (0 = unknown list) and creation time.
    function statusListOf(address agency, uint32 listId) external view returns (uint64 capacity, uint64 createdAt);
}
