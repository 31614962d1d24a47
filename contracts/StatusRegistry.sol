// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IStatusRegistry} from "./interfaces/IStatusRegistry.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {PackedStatuses} from "./common/PackedStatuses.sol";
import {Semver} from "./common/Semver.sol";

/// @title StatusRegistry
/// @notice See {IStatusRegistry}. Ownership is by construction: writes only touch lists under
/// msg.sender, so there is no role check on the hot path. Only a write of 0 (valid) asks the
/// TrustRegistry whether the agency is Active: revoking and suspending never pay for that call.
contract StatusRegistry is IStatusRegistry, Semver(1, 1, 0) {
    using PackedStatuses for PackedStatuses.Map;

    uint8 private constant _VALID = 0;
    uint8 private constant _REVOKED = 1;
    uint8 private constant _SUSPENDED = 2;

    struct ListMeta {
        uint64 capacity;
        uint40 createdAt;
    }

    ITrustRegistry private immutable _trust;
    mapping(address agency => mapping(uint32 listId => ListMeta meta)) private _lists;
    mapping(address agency => mapping(uint32 listId => PackedStatuses.Map statuses)) private _statuses;

    /// @param trust the TrustRegistry (agency status at list creation)
    constructor(ITrustRegistry trust) {
        _trust = trust;
    }

    /// @inheritdoc IStatusRegistry
    function createStatusList(uint32 listId, uint64 capacity) external {
        _requireActive();
        if (capacity == 0 || capacity % PackedStatuses.PER_WORD != 0) revert StatusRegistryInvalidCapacity(capacity);
        ListMeta storage meta = _lists[msg.sender][listId];
        if (meta.capacity != 0) revert StatusRegistryListExists(msg.sender, listId);
        meta.capacity = capacity;
        meta.createdAt = uint40(block.timestamp);
        emit StatusListCreated(msg.sender, listId, capacity);
    }

    /// @inheritdoc IStatusRegistry
    function setStatus(uint32 listId, uint256 index, uint8 status) external {
        if (status > _SUSPENDED) revert StatusRegistryInvalidStatus(status);
        if (status == _VALID) _requireActive();
        uint64 capacity = _capacityOf(msg.sender, listId);
        if (index >= capacity) revert StatusRegistryIndexOutOfRange(listId, index, capacity);
        _write(_statuses[msg.sender][listId], listId, index, status);
        emit StatusChanged(msg.sender, listId, index, status);
    }

    /// @inheritdoc IStatusRegistry
    function setStatuses(uint32 listId, uint256[] calldata indexes, uint8 status) external {
        if (status > _SUSPENDED) revert StatusRegistryInvalidStatus(status);
        if (indexes.length == 0) revert StatusRegistryEmptyBatch(listId);
        if (status == _VALID) _requireActive();
        uint64 capacity = _capacityOf(msg.sender, listId);
        PackedStatuses.Map storage statuses = _statuses[msg.sender][listId];
        for (uint256 i = 0; i < indexes.length;) {
            uint256 index = indexes[i];
            if (index >= capacity) revert StatusRegistryIndexOutOfRange(listId, index, capacity);
            _write(statuses, listId, index, status);
            // i < indexes.length, so the increment cannot overflow.
            unchecked {
                ++i;
            }
        }
        emit StatusesChanged(msg.sender, listId, indexes, status);
    }

    /// @inheritdoc IStatusRegistry
    function statusOf(address agency, uint32 listId, uint256 index) external view returns (uint8) {
        uint64 capacity = _capacityOf(agency, listId);
        if (index >= capacity) revert StatusRegistryIndexOutOfRange(listId, index, capacity);
        return _statuses[agency][listId].get(index);
    }

    /// @inheritdoc IStatusRegistry
    function tryStatusOf(address agency, uint32 listId, uint256 index) external view returns (bool known, uint8 status) {
        if (index >= _lists[agency][listId].capacity) return (false, 0);
        return (true, _statuses[agency][listId].get(index));
    }

    /// @inheritdoc IStatusRegistry
    function statusWords(address agency, uint32 listId, uint256 fromWord, uint256 count)
        external
        view
        returns (uint256[] memory words)
    {
        uint256 total = _capacityOf(agency, listId) / PackedStatuses.PER_WORD;
        if (fromWord > total || count > total - fromWord) {
            revert StatusRegistryPageOutOfRange(listId, fromWord, count, total);
        }
        PackedStatuses.Map storage source = _statuses[agency][listId];
        words = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            words[i] = source.word(fromWord + i);
        }
    }

    /// @inheritdoc IStatusRegistry
    function statusListOf(address agency, uint32 listId) external view returns (uint64 capacity, uint64 createdAt) {
        ListMeta storage meta = _lists[agency][listId];
        return (meta.capacity, meta.createdAt);
    }

    /// @dev The caller must be an Active agency (to create a list, or to set entries back to valid).
    function _requireActive() private view {
        ITrustRegistry.AgencyStatus agencyStatus = _trust.agencyStatus(msg.sender);
        if (agencyStatus != ITrustRegistry.AgencyStatus.Active) {
            revert StatusRegistryAgencyNotActive(msg.sender, agencyStatus);
        }
    }

    function _capacityOf(address agency, uint32 listId) private view returns (uint64 capacity) {
        capacity = _lists[agency][listId].capacity;
        if (capacity == 0) revert StatusRegistryUnknownList(agency, listId);
    }

    /// @dev Revocation is final: a revoked entry only takes "revoked" again. The old entry comes
    /// from the word the write loads anyway, so the check costs no extra storage read.
    function _write(PackedStatuses.Map storage statuses, uint32 listId, uint256 index, uint8 status) private {
        if (statuses.set(index, status) == _REVOKED && status != _REVOKED) {
            revert StatusRegistryRevocationIsFinal(listId, index);
        }
    }
}
