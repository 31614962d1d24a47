// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {ICredentialTypeRegistry} from "./interfaces/ICredentialTypeRegistry.sol";

/// @title VerifierRegistry
/// @notice See {IVerifierRegistry}.
contract VerifierRegistry is IVerifierRegistry, AccessControl {
    /// @notice Role held by the Council contract.
    bytes32 public constant COUNCIL_ROLE = keccak256("COUNCIL_ROLE");

    struct Record {
        uint256 claimMask;
        uint40 validFrom;
        uint40 validUntil;
        uint40 withdrawnAt;
        uint40 registeredAt;
    }

    ITrustRegistry private immutable _trust;
    ICredentialTypeRegistry private immutable _types;
    mapping(address verifier => mapping(uint32 typeId => mapping(bytes32 purposeDigest => Record record)))
        private _records;

    /// @param council the Council contract (gets the council and admin roles)
    /// @param trust the TrustRegistry
    /// @param types the CredentialTypeRegistry
    constructor(address council, ITrustRegistry trust, ICredentialTypeRegistry types) {
        _trust = trust;
        _types = types;
        _grantRole(DEFAULT_ADMIN_ROLE, council);
        _grantRole(COUNCIL_ROLE, council);
    }

    modifier onlyCouncil() {
        if (!hasRole(COUNCIL_ROLE, msg.sender)) revert VerifierRegistryNotCouncil(msg.sender);
        _;
    }

    /// @inheritdoc IVerifierRegistry
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc IVerifierRegistry
    function registerVerifier(
        address verifier,
        uint32 typeId,
        bytes32 purposeDigest,
        uint256 claimMask,
        uint64 validFrom,
        uint64 validUntil
    ) external onlyCouncil {
        uint8 status = _trust.agencyStatus(verifier);
        if (status != 1) revert VerifierRegistryAgencyNotActive(verifier, status);
        if (!_types.exists(typeId)) revert VerifierRegistryUnknownType(typeId);
        uint256 count = _types.claimCount(typeId);
        if (claimMask == 0 || (count < 256 && claimMask >> count != 0)) {
            revert VerifierRegistryInvalidClaimMask(typeId, claimMask, count);
        }
        // Times are stored in uint40: a larger value would wrap (validUntil 2**40 into 0 =
        // open-ended), so it is refused.
        if (validFrom > type(uint40).max || validUntil > type(uint40).max) {
            revert VerifierRegistryInvalidWindow(validFrom, validUntil);
        }
        uint64 from = validFrom < block.timestamp ? uint64(block.timestamp) : validFrom;
        if (validUntil != 0 && validUntil <= from) revert VerifierRegistryInvalidWindow(from, validUntil);
        _records[verifier][typeId][purposeDigest] =
            Record(claimMask, uint40(from), uint40(validUntil), 0, uint40(block.timestamp));
        emit VerifierRegistered(verifier, typeId, purposeDigest, claimMask, from, validUntil);
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
        return Registration(r.claimMask, r.validFrom, r.validUntil, r.withdrawnAt, r.registeredAt);
    }

    /// @inheritdoc IVerifierRegistry
    function isAuthorized(address verifier, uint32 typeId, bytes32 purposeDigest, uint256 claimMask, uint64 t)
        external
        view
        returns (bool)
    {
        Record storage r = _records[verifier][typeId][purposeDigest];
        if (r.registeredAt == 0 || claimMask == 0 || claimMask & ~r.claimMask != 0) return false;
        if (t < r.validFrom || (r.validUntil != 0 && t >= r.validUntil)) return false;
        if (r.withdrawnAt != 0 && t >= r.withdrawnAt) return false;
        return _trust.agencyStatus(verifier) == 1;
    }
}
