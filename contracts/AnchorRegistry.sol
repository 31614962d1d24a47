// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IAnchorRegistry} from "./interfaces/IAnchorRegistry.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {Semver} from "./common/Semver.sol";

/// @title AnchorRegistry
/// @notice See {IAnchorRegistry}. No admin functions: anchoring is gated by the TrustRegistry.
contract AnchorRegistry is IAnchorRegistry, Semver(1, 1, 0) {
    /// @dev Exactly one slot: 20 + 5 + 4 + 3 bytes.
    struct Record {
        address issuer;
        uint40 anchoredAt;
        uint32 typeId;
        uint24 count;
    }

    uint32 private constant _MAX_BATCH = type(uint24).max;

    ITrustRegistry private immutable _trust;
    mapping(address issuer => mapping(bytes32 digest => Record record)) private _anchors;
    mapping(address issuer => mapping(bytes32 root => Record record)) private _batches;

    /// @param trust the TrustRegistry answering `canAnchor`
    constructor(ITrustRegistry trust) {
        _trust = trust;
    }

    /// @inheritdoc IAnchorRegistry
    function anchor(bytes32 digest, uint32 typeId) external {
        if (digest == bytes32(0)) revert AnchorRegistryZeroDigest();
        _store(_anchors[msg.sender], digest, typeId, 1);
        emit CredentialAnchored(digest, msg.sender, typeId);
    }

    /// @inheritdoc IAnchorRegistry
    function anchorBatch(bytes32 root, uint32 typeId, uint32 count) external {
        if (root == bytes32(0)) revert AnchorRegistryZeroRoot();
        if (count == 0) revert AnchorRegistryEmptyBatch(root);
        if (count > _MAX_BATCH) revert AnchorRegistryBatchTooLarge(count, _MAX_BATCH);
        _store(_batches[msg.sender], root, typeId, uint24(count));
        emit BatchAnchored(root, msg.sender, typeId, count);
    }

    /// @inheritdoc IAnchorRegistry
    function anchorOf(address issuer, bytes32 digest) external view returns (AnchorRecord memory) {
        return _toView(_anchors[issuer][digest]);
    }

    /// @inheritdoc IAnchorRegistry
    function batchOf(address issuer, bytes32 root) external view returns (AnchorRecord memory) {
        return _toView(_batches[issuer][root]);
    }

    /// @inheritdoc IAnchorRegistry
    function verifyInclusion(address issuer, bytes32 root, bytes32[] calldata proof, bytes32 digest)
        external
        view
        returns (bool)
    {
        return _batches[issuer][root].issuer != address(0) && MerkleProof.verifyCalldata(proof, root, _leaf(digest));
    }

    /// @inheritdoc IAnchorRegistry
    function inclusionOf(address issuer, bytes32 root, bytes32[] calldata proof, bytes32 digest)
        external
        view
        returns (AnchorRecord memory empty)
    {
        Record memory r = _batches[issuer][root];
        if (r.issuer == address(0) || !MerkleProof.verifyCalldata(proof, root, _leaf(digest))) return empty;
        return _toView(r);
    }

    /// @inheritdoc IAnchorRegistry
    function leafOf(bytes32 digest) external pure returns (bytes32) {
        return _leaf(digest);
    }

    function _store(mapping(bytes32 digest => Record record) storage records, bytes32 key, uint32 typeId, uint24 count)
        private
    {
        Record storage r = records[key];
        address existing = r.issuer;
        if (existing != address(0)) revert AnchorRegistryAlreadyAnchored(key, existing, r.anchoredAt);
        if (!_canAnchor(typeId)) revert AnchorRegistryNotAccredited(msg.sender, typeId);
        uint256 packed = uint256(uint160(msg.sender)) | (block.timestamp << 160) | (uint256(typeId) << 200)
            | (uint256(count) << 232);
        // One SSTORE of the packed Record (issuer | anchoredAt << 160 | typeId << 200 | count << 232,
        // Solidity's own layout); a struct assignment compiles to a read-modify-write per member.
        assembly ("memory-safe") {
            sstore(r.slot, packed)
        }
    }

    /// @dev `_trust.canAnchor(msg.sender, typeId)` without the high-level call's ABI overhead
    /// (this is the anchor hot path, budgeted at 55k gas per transaction).
    function _canAnchor(uint32 typeId) private view returns (bool ok) {
        address trust = address(_trust);
        bytes4 selector = ITrustRegistry.canAnchor.selector;
        // Encode canAnchor(msg.sender, typeId) in scratch memory at the free pointer (not
        // advanced: nothing else is allocated before the result is read), staticcall, and
        // accept only a full 32-byte `true`.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 4), caller())
            mstore(add(ptr, 36), typeId)
            let success := staticcall(gas(), trust, ptr, 68, ptr, 32)
            ok := and(and(success, gt(returndatasize(), 31)), eq(mload(ptr), 1))
        }
    }

    function _leaf(bytes32 digest) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest))));
    }

    function _toView(Record memory r) private pure returns (AnchorRecord memory) {
        return AnchorRecord(r.issuer, r.typeId, r.anchoredAt, r.count);
    }
}
