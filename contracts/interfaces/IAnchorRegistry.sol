// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";

/// @title Anchor registry: credential digests and Merkle batch roots, with issuer, type and time.
/// @notice A single anchor is keyed by its issuer and the credential digest (sha256 of the
/// issuer-signed JWT). A batch is keyed by its issuer and its Merkle root over leaves
/// `keccak256(bytes.concat(keccak256(abi.encode(digest))))` with sorted-pair hashing
/// (OpenZeppelin MerkleProof). Keyed by issuer, an anchor cannot be taken by another agency that
/// anchors the same digest or root first: that makes a record of its own. Only an agency that
/// `canAnchor` the type at that moment may anchor. Each record is one storage slot.
interface IAnchorRegistry is ISemver {
    /// @notice An anchor record. `count` is 1 for single anchors, the batch size for roots;
    /// issuer zero = not anchored.
    struct AnchorRecord {
        address issuer;
        uint32 typeId;
        uint64 anchoredAt;
        uint32 count;
    }

    /// @notice Emitted when a single credential digest is anchored.
    event CredentialAnchored(bytes32 indexed digest, address indexed issuer, uint32 indexed typeId);
    /// @notice Emitted when a batch root is anchored.
    event BatchAnchored(bytes32 indexed root, address indexed issuer, uint32 indexed typeId, uint32 count);

    /// @notice The digest is zero.
    error AnchorRegistryZeroDigest();
    /// @notice The root is zero.
    error AnchorRegistryZeroRoot();
    /// @notice A batch of zero credentials.
    error AnchorRegistryEmptyBatch(bytes32 root);
    /// @notice A batch larger than the record can count.
    error AnchorRegistryBatchTooLarge(uint32 count, uint32 max);
    /// @notice The caller already anchored this digest or root.
    error AnchorRegistryAlreadyAnchored(bytes32 digest, address issuer, uint64 anchoredAt);
    /// @notice The caller may not anchor this type now (not accredited, or agency not Active).
    error AnchorRegistryNotAccredited(address agency, uint32 typeId);

    /// @notice Anchor one credential digest.
    function anchor(bytes32 digest, uint32 typeId) external;
    /// @notice Anchor a Merkle root over `count` credential digests.
    function anchorBatch(bytes32 root, uint32 typeId, uint32 count) external;
    /// @notice The record of `issuer`'s single anchor of `digest`.
    function anchorOf(address issuer, bytes32 digest) external view returns (AnchorRecord memory);
    /// @notice The record of `issuer`'s batch root.
    function batchOf(address issuer, bytes32 root) external view returns (AnchorRecord memory);
    /// @notice Whether `issuer` anchored batch `root` and `proof` proves `digest`'s leaf in it.
    function verifyInclusion(address issuer, bytes32 root, bytes32[] calldata proof, bytes32 digest)
        external
        view
        returns (bool);
    /// @notice The batch record if `proof` proves `digest` under `issuer`'s anchored `root`, else an
    /// empty record.
    function inclusionOf(address issuer, bytes32 root, bytes32[] calldata proof, bytes32 digest)
        external
        view
        returns (AnchorRecord memory);
    /// @notice The Merkle leaf of a digest.
    function leafOf(bytes32 digest) external pure returns (bytes32);
}
