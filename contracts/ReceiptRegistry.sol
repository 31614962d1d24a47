// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IReceiptRegistry} from "./interfaces/IReceiptRegistry.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {Semver} from "./common/Semver.sol";

/// @title ReceiptRegistry
/// @notice See {IReceiptRegistry}. No admin functions: anchoring is gated by the TrustRegistry.
contract ReceiptRegistry is IReceiptRegistry, Semver(1, 0, 0) {
    /// @dev Two slots: the root, then count and time.
    struct Record {
        bytes32 root;
        uint32 count;
        uint40 anchoredAt;
    }

    ITrustRegistry private immutable _trust;
    mapping(address source => uint64 count) private _counts;
    mapping(address source => mapping(uint64 batchNo => Record record)) private _batches;

    /// @param trust the TrustRegistry answering `agencyStatus`
    constructor(ITrustRegistry trust) {
        _trust = trust;
    }

    /// @inheritdoc IReceiptRegistry
    function anchorReceipts(uint64 batchNo, bytes32 root, uint32 count) external returns (uint64) {
        if (root == bytes32(0)) revert ReceiptRegistryZeroRoot();
        if (count == 0) revert ReceiptRegistryEmptyBatch();
        ITrustRegistry.AgencyStatus status = _trust.agencyStatus(msg.sender);
        if (status != ITrustRegistry.AgencyStatus.Active) revert ReceiptRegistryAgencyNotActive(msg.sender, status);
        uint64 expected = _counts[msg.sender] + 1;
        if (batchNo != expected) revert ReceiptRegistryUnexpectedBatchNo(msg.sender, expected, batchNo);
        _counts[msg.sender] = batchNo;
        _batches[msg.sender][batchNo] = Record(root, count, uint40(block.timestamp));
        emit ReceiptsAnchored(msg.sender, batchNo, root, count);
        return batchNo;
    }

    /// @inheritdoc IReceiptRegistry
    function batchOf(address source, uint64 batchNo) external view returns (ReceiptBatch memory) {
        Record storage r = _batches[source][batchNo];
        return ReceiptBatch(r.root, r.count, r.anchoredAt);
    }

    /// @inheritdoc IReceiptRegistry
    function batchCount(address source) external view returns (uint64) {
        return _counts[source];
    }
}
