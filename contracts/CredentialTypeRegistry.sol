// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ICredentialTypeRegistry} from "./interfaces/ICredentialTypeRegistry.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {CouncilGoverned} from "./common/CouncilGoverned.sol";
import {Semver} from "./common/Semver.sol";

/// @title CredentialTypeRegistry
/// @notice See {ICredentialTypeRegistry}.
contract CredentialTypeRegistry is ICredentialTypeRegistry, CouncilGoverned, Semver(1, 1, 0) {
    struct TypeRecord {
        string vct;
        string[] claimNames;
        bytes32 claimSetDigest;
        uint32 supersedes;
        uint32 supersededBy;
        address registeredBy;
        uint40 registeredAt;
    }

    ITrustRegistry private immutable _trust;
    uint32 private _count;
    mapping(uint32 typeId => TypeRecord record) private _types;
    mapping(bytes32 vctHash => uint32 typeId) private _idByVct;

    /// @param council the Council contract (gets the council and admin roles)
    /// @param trust the TrustRegistry (for authority checks)
    constructor(address council, ITrustRegistry trust) CouncilGoverned(council) {
        _trust = trust;
    }

    /// @inheritdoc ICredentialTypeRegistry
    function registerType(string calldata vct, string[] calldata claimNames, uint32 supersedes)
        external
        returns (uint32 typeId)
    {
        if (!_isCouncil(msg.sender)) {
            if (supersedes == 0 || !_trust.isAuthority(msg.sender, supersedes)) {
                revert CredentialTypeRegistryNotAuthorized(msg.sender, supersedes);
            }
        }
        if (bytes(vct).length == 0) revert CredentialTypeRegistryEmptyVct();
        if (claimNames.length == 0 || claimNames.length > 256) {
            revert CredentialTypeRegistryInvalidClaimCount(claimNames.length);
        }
        bytes32 vctHash = keccak256(bytes(vct));
        uint32 existing = _idByVct[vctHash];
        if (existing != 0) revert CredentialTypeRegistryDuplicateVct(vct, existing);
        if (supersedes != 0) {
            TypeRecord storage previous = _requireType(supersedes);
            if (previous.supersededBy != 0) {
                revert CredentialTypeRegistryAlreadySuperseded(supersedes, previous.supersededBy);
            }
        }
        typeId = ++_count;
        TypeRecord storage t = _types[typeId];
        t.vct = vct;
        for (uint256 i = 0; i < claimNames.length; ++i) {
            t.claimNames.push(claimNames[i]);
        }
        bytes32 digest = keccak256(abi.encode(claimNames));
        t.claimSetDigest = digest;
        t.supersedes = supersedes;
        t.registeredBy = msg.sender;
        t.registeredAt = uint40(block.timestamp);
        _idByVct[vctHash] = typeId;
        if (supersedes != 0) _types[supersedes].supersededBy = typeId;
        emit CredentialTypeRegistered(typeId, vct, digest, supersedes, msg.sender);
    }

    /// @inheritdoc ICredentialTypeRegistry
    function typeIdOf(string calldata vct) external view returns (uint32) {
        return _idByVct[keccak256(bytes(vct))];
    }

    /// @inheritdoc ICredentialTypeRegistry
    function typeInfo(uint32 typeId) external view returns (CredentialType memory) {
        TypeRecord storage t = _requireType(typeId);
        return CredentialType(
            typeId, t.vct, t.claimNames, t.claimSetDigest, t.supersedes, t.supersededBy, t.registeredBy, t.registeredAt
        );
    }

    /// @inheritdoc ICredentialTypeRegistry
    function exists(uint32 typeId) external view returns (bool) {
        return typeId != 0 && typeId <= _count;
    }

    /// @inheritdoc ICredentialTypeRegistry
    function claimCount(uint32 typeId) external view returns (uint256) {
        return _requireType(typeId).claimNames.length;
    }

    /// @inheritdoc ICredentialTypeRegistry
    function typeCount() external view returns (uint32) {
        return _count;
    }

    function _requireType(uint32 typeId) private view returns (TypeRecord storage t) {
        if (typeId == 0 || typeId > _count) revert CredentialTypeRegistryUnknownType(typeId);
        t = _types[typeId];
    }
}
