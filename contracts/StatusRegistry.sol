// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IStatusRegistry} from "./interfaces/IStatusRegistry.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";

/// @title StatusRegistry
/// @notice See {IStatusRegistry}. Ownership is by construction: writes only touch lists under
/// msg.sender, so there is no role check on the hot path. Only a write of 0 (valid) asks the
/// TrustRegistry whether the agency is Active: revoking and suspending never pay for that call.
contract StatusRegistry is IStatusRegistry {
    struct ListMeta {
        uint64 capacity;
        uint40 createdAt;
    }

    ITrustRegistry private immutable _trust;
    mapping(address agency => mapping(uint32 listId => ListMeta meta)) private _lists;
    mapping(address agency => mapping(uint32 listId => mapping(uint256 wordIndex => uint256 word))) private _words;

    /// @param trust the TrustRegistry (agency status at list creation)
    constructor(ITrustRegistry trust) {
        _trust = trust;
    }

    /// @inheritdoc IStatusRegistry
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc IStatusRegistry
    function createStatusList(uint32 listId, uint64 capacity) external {
        _requireActive();
        if (capacity == 0 || capacity % 128 != 0) revert StatusRegistryInvalidCapacity(capacity);
        ListMeta storage meta = _lists[msg.sender][listId];
        if (meta.capacity != 0) revert StatusRegistryListExists(msg.sender, listId);
        meta.capacity = capacity;
        meta.createdAt = uint40(block.timestamp);
        emit StatusListCreated(msg.sender, listId, capacity);
    }

    /// @inheritdoc IStatusRegistry
    function setStatus(uint32 listId, uint256 index, uint8 status) external {
        if (status > 2) revert StatusRegistryInvalidStatus(status);
        if (status == 0) _requireActive();
        uint64 capacity = _capacityOf(msg.sender, listId);
        if (index >= capacity) revert StatusRegistryIndexOutOfRange(listId, index, capacity);
        _write(_words[msg.sender][listId], listId, index, status);
        emit StatusChanged(msg.sender, listId, index, status);
    }

    /// @inheritdoc IStatusRegistry
    function setStatuses(uint32 listId, uint256[] calldata indexes, uint8 status) external {
        if (status > 2) revert StatusRegistryInvalidStatus(status);
        if (indexes.length == 0) revert StatusRegistryEmptyBatch(listId);
        if (status == 0) _requireActive();
        uint64 capacity = _capacityOf(msg.sender, listId);
        mapping(uint256 wordIndex => uint256 word) storage words = _words[msg.sender][listId];
        for (uint256 i = 0; i < indexes.length;) {
            uint256 index = indexes[i];
            if (index >= capacity) revert StatusRegistryIndexOutOfRange(listId, index, capacity);
            _write(words, listId, index, status);
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
        return _read(agency, listId, index);
    }

    /// @inheritdoc IStatusRegistry
    function tryStatusOf(address agency, uint32 listId, uint256 index) external view returns (bool known, uint8 status) {
        if (index >= _lists[agency][listId].capacity) return (false, 0);
        return (true, _read(agency, listId, index));
    }

    /// @inheritdoc IStatusRegistry
    function statusWords(address agency, uint32 listId, uint256 fromWord, uint256 count)
        external
        view
        returns (uint256[] memory words)
    {
        uint256 total = _capacityOf(agency, listId) / 128;
        if (fromWord > total || count > total - fromWord) {
            revert StatusRegistryPageOutOfRange(listId, fromWord, count, total);
        }
        mapping(uint256 wordIndex => uint256 word) storage source = _words[agency][listId];
        words = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            words[i] = source[fromWord + i];
        }
    }

    /// @inheritdoc IStatusRegistry
    function statusListOf(address agency, uint32 listId) external view returns (uint64 capacity, uint64 createdAt) {
        ListMeta storage meta = _lists[agency][listId];
        return (meta.capacity, meta.createdAt);
    }

    /// @dev The caller must be an Active agency (to create a list, or to set entries back to valid).
    function _requireActive() private view {
        uint8 agencyStatus = _trust.agencyStatus(msg.sender);
        if (agencyStatus != 1) revert StatusRegistryAgencyNotActive(msg.sender, agencyStatus);
    }

    function _capacityOf(address agency, uint32 listId) private view returns (uint64 capacity) {
        capacity = _lists[agency][listId].capacity;
        if (capacity == 0) revert StatusRegistryUnknownList(agency, listId);
    }

    function _read(address agency, uint32 listId, uint256 index) private view returns (uint8) {
        return uint8((_words[agency][listId][index >> 7] >> ((index & 127) << 1)) & 3);
    }

    /// @dev Revocation is final: an entry at 1 (revoked) only takes 1 again. The old entry comes
    /// from the word the write loads anyway, so the check costs no extra storage read.
    function _write(
        mapping(uint256 wordIndex => uint256 word) storage words,
        uint32 listId,
        uint256 index,
        uint8 status
    ) private {
        uint256 shift = (index & 127) << 1;
        uint256 slot = index >> 7;
        uint256 word = words[slot];
        if ((word >> shift) & 3 == 1 && status != 1) revert StatusRegistryRevocationIsFinal(listId, index);
        words[slot] = (word & ~(uint256(3) << shift)) | (uint256(status) << shift);
    }
}
