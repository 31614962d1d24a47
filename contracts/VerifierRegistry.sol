// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {ICredentialTypeRegistry} from "./interfaces/ICredentialTypeRegistry.sol";
import {CouncilGoverned} from "./common/CouncilGoverned.sol";
import {Semver} from "./common/Semver.sol";
import {TimeWindow} from "./common/TimeWindow.sol";

/// @title VerifierRegistry
/// @notice See {IVerifierRegistry}.
contract VerifierRegistry is IVerifierRegistry, CouncilGoverned, Semver(2, 0, 0) {
    struct Record {
        uint256 claimMask;
        uint40 validFrom;
        uint40 validUntil;
        uint40 withdrawnAt;
        uint40 registeredAt;
        LegalBasis legalBasis;
    }

    ITrustRegistry private immutable _trust;
    ICredentialTypeRegistry private immutable _types;
    mapping(address verifier => mapping(uint32 typeId => mapping(bytes32 purposeDigest => Record record)))
        private _records;

    /// @param council the Council contract (gets the council and admin roles)
    /// @param trust the TrustRegistry
    /// @param types the CredentialTypeRegistry
    constructor(address council, ITrustRegistry trust, ICredentialTypeRegistry types) CouncilGoverned(council) {
        _trust = trust;
        _types = types;
    }

    modifier onlyCouncil() {
        if (!_isCouncil(msg.sender)) revert VerifierRegistryNotCouncil(msg.sender);
        _;
    }

    /// @inheritdoc IVerifierRegistry
    function registerVerifier(
        address verifier,
        uint32 typeId,
        bytes32 purposeDigest,
        uint256 claimMask,
        uint64 validFrom,
        uint64 validUntil,
        LegalBasis legalBasis
    ) external onlyCouncil {
        ITrustRegistry.AgencyStatus status = _trust.agencyStatus(verifier);
        if (status != ITrustRegistry.AgencyStatus.Active) revert VerifierRegistryAgencyNotActive(verifier, status);
        if (!_types.exists(typeId)) revert VerifierRegistryUnknownType(typeId);
        uint256 count = _types.claimCount(typeId);
        if (claimMask == 0 || (count < 256 && claimMask >> count != 0)) {
            revert VerifierRegistryInvalidClaimMask(typeId, claimMask, count);
        }
        (uint64 from, bool ok) = TimeWindow.start(validFrom, validUntil);
        if (!ok) revert VerifierRegistryInvalidWindow(from, validUntil);
        _records[verifier][typeId][purposeDigest] =
            Record(claimMask, uint40(from), uint40(validUntil), 0, uint40(block.timestamp), legalBasis);
        emit VerifierRegistered(verifier, typeId, purposeDigest, claimMask, from, validUntil, legalBasis);
    }

    /// @inheritdoc IVerifierRegistry
    function withdrawVerifier(address verifier, uint32 typeId, bytes32 purposeDigest) external onlyCouncil {
        Record storage r = _records[verifier][typeId][purposeDigest];
        if (r.registeredAt == 0 || r.withdrawnAt != 0) {
            revert VerifierRegistryNotRegistered(verifier, typeId, purposeDigest);
        }
        r.withdrawnAt = uint40(block.timestamp);
        emit VerifierWithdrawn(verifier, typeId, purposeDigest);
    }

    /// @inheritdoc IVerifierRegistry
    function registrationOf(address verifier, uint32 typeId, bytes32 purposeDigest)
        external
        view
        returns (Registration memory)
    {
        Record storage r = _records[verifier][typeId][purposeDigest];
        return Registration(r.claimMask, r.validFrom, r.validUntil, r.withdrawnAt, r.registeredAt, r.legalBasis);
    }

    /// @inheritdoc IVerifierRegistry
    function isAuthorized(address verifier, uint32 typeId, bytes32 purposeDigest, uint256 claimMask, uint64 t)
        external
        view
        returns (bool)
    {
        return _inForce(_records[verifier][typeId][purposeDigest], claimMask, t)
            && _trust.agencyStatus(verifier) == ITrustRegistry.AgencyStatus.Active;
    }

    /// @inheritdoc IVerifierRegistry
    function requesterCheck(address requester, uint32 typeId, uint256 claimMask, bytes32 purposeDigest)
        external
        view
        returns (
            ITrustRegistry.AgencyStatus status,
            bool registered,
            bool covered,
            bool authorised,
            LegalBasis legalBasis
        )
    {
        Record storage r = _records[requester][typeId][purposeDigest];
        status = _trust.agencyStatus(requester);
        registered = _inWindow(r, uint64(block.timestamp));
        covered = registered && _covers(r, claimMask);
        authorised = covered && status == ITrustRegistry.AgencyStatus.Active;
        legalBasis = r.legalBasis;
    }

    /// @dev Registered, `claimMask` a non-empty subset of the registered mask, and `t` inside
    /// the window and before any withdrawal.
    function _inForce(Record storage r, uint256 claimMask, uint64 t) private view returns (bool) {
        return _inWindow(r, t) && _covers(r, claimMask);
    }

    /// @dev Registered, and `t` inside the window and before any withdrawal.
    function _inWindow(Record storage r, uint64 t) private view returns (bool) {
        if (r.registeredAt == 0 || t < r.validFrom || (r.validUntil != 0 && t >= r.validUntil)) return false;
        return r.withdrawnAt == 0 || t < r.withdrawnAt;
    }

    /// @dev `claimMask` is a non-empty subset of the registered mask.
    function _covers(Record storage r, uint256 claimMask) private view returns (bool) {
        return claimMask != 0 && claimMask & ~r.claimMask == 0;
    }
}
