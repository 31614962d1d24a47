// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";
import {ITrustRegistry} from "./ITrustRegistry.sol";

/// @title Receipt registry: the roots of a data source's access-receipt batches.
/// @notice A source (an Active agency) anchors its access receipts in batches: the root of a
/// batch's sparse Merkle tree (keyed by per-batch pseudonyms of the subjects) and the number of
/// receipts in it; nothing personal. Batches are numbered per source 1, 2, 3 ... with no gap, so
/// a citizen's wallet that reads `batchCount` knows every batch it must check. The source states
/// the number it recorded for the batch (`batchNo`), and the registry refuses any number but
/// the next: a batch sent twice (a retry after a crash) is anchored once. One batch costs two
/// storage slots, the counter and an event, whatever its size.
interface IReceiptRegistry is ISemver {
    /// @notice A batch (anchoredAt 0 = none).
    struct ReceiptBatch {
        bytes32 root;
        uint32 count;
        uint64 anchoredAt;
    }

    /// @notice Emitted when a source anchors a batch.
    event ReceiptsAnchored(address indexed source, uint64 indexed batchNo, bytes32 root, uint32 count);

    /// @notice The caller is not an Active agency.
    error ReceiptRegistryAgencyNotActive(address source, ITrustRegistry.AgencyStatus status);
    /// @notice The root is zero.
    error ReceiptRegistryZeroRoot();
    /// @notice The batch holds no receipts.
    error ReceiptRegistryEmptyBatch();
    /// @notice `batchNo` is not the source's next batch number (`expected`): already anchored,
    /// or a gap.
    error ReceiptRegistryUnexpectedBatchNo(address source, uint64 expected, uint64 batchNo);

    /// @notice Anchor the caller's batch `batchNo` (its next: `batchCount(caller) + 1`) of
    /// `count` receipts under `root`; returns `batchNo`.
    function anchorReceipts(uint64 batchNo, bytes32 root, uint32 count) external returns (uint64);
    /// @notice `source`'s batch `batchNo` (anchoredAt 0 = not anchored).
    function batchOf(address source, uint64 batchNo) external view returns (ReceiptBatch memory);
    /// @notice How many batches `source` has anchored (its last batch number).
    function batchCount(address source) external view returns (uint64);
}
