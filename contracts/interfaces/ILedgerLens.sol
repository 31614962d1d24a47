// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";
import {ITrustRegistry} from "./ITrustRegistry.sol";

/// @title Ledger lens: everything a verifier needs about one credential in one eth_call.
/// @notice Read-only; never reverts for unknown digests, keys, lists or verifiers.
interface ILedgerLens is ISemver {
    /// @notice One credential to check. For a single anchor pass root = 0 and an empty proof;
    /// for a batch pass the anchored root and the inclusion proof of `digest`'s leaf, or
    /// (root-only) digest = 0 and an empty proof: the answer is then about the batch, and the
    /// caller must prove the leaf's inclusion under `root` itself (nothing credential-specific
    /// reaches the node).
    /// verifier = address(0) skips the verifier check (verifierAuthorized = false).
    struct CheckRequest {
        bytes32 digest;
        bytes32 root;
        bytes32[] proof;
        bytes32 kid;
        uint32 listId;
        uint256 statusIndex;
        address verifier;
        bytes32 purposeDigest;
        uint256 claimMask;
    }

    /// @notice The answer.
    /// anchored: the digest (root = 0), the proven leaf under an anchored root (root != 0), or
    /// for a root-only request the root itself (the caller's own proof is what ties it to the
    /// credential).
    /// issuer, typeId, anchoredAt, batchCount: from the anchor record (zero when not anchored).
    /// issuerAccreditedAtAnchor: TrustRegistry.isAccreditedAt(issuer, typeId, anchoredAt).
    /// keyValidAtAnchor: the kid belongs to the issuer and was valid at anchoredAt.
    /// keyAgency, keyRevokedAt: the kid's owner and its revocation time (0 = not revoked).
    /// statusKnown: the issuer's list exists and statusIndex is inside it; status: value now.
    /// issuerAgencyStatus: 0 None, 1 Active, 2 Suspended, 3 Removed (now).
    /// verifierAuthorized: VerifierRegistry.isAuthorized(verifier, typeId, purpose, mask, now).
    /// blockNumber, blockTimestamp: the block the answer was read at.
    struct CredentialCheck {
        bool anchored;
        address issuer;
        uint32 typeId;
        uint64 anchoredAt;
        uint32 batchCount;
        bool issuerAccreditedAtAnchor;
        bool keyValidAtAnchor;
        address keyAgency;
        uint64 keyRevokedAt;
        bool statusKnown;
        uint8 status;
        ITrustRegistry.AgencyStatus issuerAgencyStatus;
        bool verifierAuthorized;
        uint64 blockNumber;
        uint64 blockTimestamp;
    }

    /// @notice Check one credential.
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
    ) external view returns (CredentialCheck memory);

    /// @notice Check many credentials in one call.
    function checkCredentials(CheckRequest[] calldata requests) external view returns (CredentialCheck[] memory);

    /// @notice The wired registries: trust, types, keys, verifiers, anchors, statuses.
    function registries() external view returns (address, address, address, address, address, address);

}
