// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ILedgerLens} from "./interfaces/ILedgerLens.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {ICredentialTypeRegistry} from "./interfaces/ICredentialTypeRegistry.sol";
import {IKeyRegistry} from "./interfaces/IKeyRegistry.sol";
import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";
import {IAnchorRegistry} from "./interfaces/IAnchorRegistry.sol";
import {IStatusRegistry} from "./interfaces/IStatusRegistry.sol";
import {Semver} from "./common/Semver.sol";

/// @title LedgerLens
/// @notice See {ILedgerLens}.
contract LedgerLens is ILedgerLens, Semver(1, 2, 0) {
    ITrustRegistry private immutable _trust;
    ICredentialTypeRegistry private immutable _types;
    IKeyRegistry private immutable _keys;
    IVerifierRegistry private immutable _verifiers;
    IAnchorRegistry private immutable _anchors;
    IStatusRegistry private immutable _statuses;

    /// @notice Wire the lens to the registries it reads.
    constructor(
        ITrustRegistry trust,
        ICredentialTypeRegistry types,
        IKeyRegistry keys,
        IVerifierRegistry verifiers,
        IAnchorRegistry anchors,
        IStatusRegistry statuses
    ) {
        _trust = trust;
        _types = types;
        _keys = keys;
        _verifiers = verifiers;
        _anchors = anchors;
        _statuses = statuses;
    }

    /// @inheritdoc ILedgerLens
    function registries() external view returns (address, address, address, address, address, address) {
        return (
            address(_trust),
            address(_types),
            address(_keys),
            address(_verifiers),
            address(_anchors),
            address(_statuses)
        );
    }

    /// @inheritdoc ILedgerLens
    function checkCredential(
        bytes32 digest,
        bytes32 root,
        bytes32[] calldata proof,
        bytes32 kid,
        uint32 listId,
        uint256 statusIndex,
        address verifier,
        bytes32 purposeDigest,
        uint256 claimMask
    ) external view returns (CredentialCheck memory) {
        return _check(CheckRequest(digest, root, proof, kid, listId, statusIndex, verifier, purposeDigest, claimMask));
    }

    /// @inheritdoc ILedgerLens
    function checkCredentials(CheckRequest[] calldata requests) external view returns (CredentialCheck[] memory out) {
        out = new CredentialCheck[](requests.length);
        for (uint256 i = 0; i < requests.length; ++i) {
            out[i] = _check(requests[i]);
        }
    }

    function _check(CheckRequest memory q) private view returns (CredentialCheck memory c) {
        c.blockNumber = uint64(block.number);
        c.blockTimestamp = uint64(block.timestamp);
        IKeyRegistry.Key memory key = _keys.keyOf(q.kid);
        c.keyAgency = key.agency;
        c.keyRevokedAt = key.revokedAt;

        // Anchors are keyed by issuer: the credential's is the agency that owns its signing key.
        // A root-only request (digest 0, no proof) asks about the batch itself: the caller proves
        // the leaf's inclusion off chain, so the node never sees which credential is checked.
        IAnchorRegistry.AnchorRecord memory a;
        if (q.root == bytes32(0)) {
            a = _anchors.anchorOf(key.agency, q.digest);
        } else if (q.digest == bytes32(0) && q.proof.length == 0) {
            a = _anchors.batchOf(key.agency, q.root);
        } else {
            a = _anchors.inclusionOf(key.agency, q.root, q.proof, q.digest);
        }
        if (a.issuer == address(0)) return c;
        c.anchored = true;
        c.issuer = a.issuer;
        c.typeId = a.typeId;
        c.anchoredAt = a.anchoredAt;
        c.batchCount = a.count;
        c.issuerAccreditedAtAnchor = _trust.isAccreditedAt(a.issuer, a.typeId, a.anchoredAt);
        c.keyValidAtAnchor = _keys.isKeyValidAt(q.kid, a.issuer, a.anchoredAt);
        (c.statusKnown, c.status) = _statuses.tryStatusOf(a.issuer, q.listId, q.statusIndex);
        c.issuerAgencyStatus = _trust.agencyStatus(a.issuer);
        if (q.verifier != address(0)) {
            c.verifierAuthorized = _verifiers.isAuthorized(
                q.verifier, a.typeId, q.purposeDigest, q.claimMask, uint64(block.timestamp)
            );
        }
    }
}
