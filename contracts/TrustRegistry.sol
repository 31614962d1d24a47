// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {ICredentialTypeRegistry} from "./interfaces/ICredentialTypeRegistry.sol";

/// @title TrustRegistry
/// @notice See {ITrustRegistry}. Storage is laid out so that `canAnchor` for a direct
/// accreditation reads exactly two slots: the packed accreditation and the agency's status slot.
contract TrustRegistry is ITrustRegistry, AccessControl {
    /// @notice Role held by the Council contract.
    bytes32 public constant COUNCIL_ROLE = keccak256("COUNCIL_ROLE");

    uint8 private constant _NONE = 0;
    uint8 private constant _ACTIVE = 1;
    uint8 private constant _SUSPENDED = 2;
    uint8 private constant _REMOVED = 3;

    /// @dev First slot: status + timestamps (one SLOAD for the status check).
    struct AgencyRecord {
        uint8 status;
        uint40 admittedAt;
        uint40 suspendedSince;
        uint40 removedAt;
        bytes32 metadataDigest;
        string name;
    }

    /// @dev One slot (30 bytes); the parent lives in a separate mapping, read only if delegated.
    /// `serial` numbers every grant; a sub-accreditation records its parent's grant serial and
    /// is valid only under that very grant (a re-accredited parent does not revive old children).
    struct Grant {
        uint40 validFrom;
        uint40 validUntil;
        uint40 withdrawnAt;
        uint40 grantedAt;
        bool authority;
        bool delegated;
        uint32 serial;
        uint32 parentSerial;
    }

    struct PastGrant {
        Grant grant;
        address parent;
    }

    struct Period {
        uint40 from;
        uint40 until;
    }

    ICredentialTypeRegistry private immutable _types;
    uint32 private _grantCount;

    mapping(address agency => AgencyRecord record) private _agencies;
    mapping(address agency => Period[] suspensions) private _suspensions;
    mapping(address agency => mapping(uint32 typeId => Grant grant)) private _grants;
    mapping(address agency => mapping(uint32 typeId => address parent)) private _parents;
    mapping(address agency => mapping(uint32 typeId => PastGrant[] grants)) private _history;

    /// @param council the Council contract (gets the council and admin roles)
    /// @param types the CredentialTypeRegistry
    constructor(address council, ICredentialTypeRegistry types) {
        _types = types;
        _grantRole(DEFAULT_ADMIN_ROLE, council);
        _grantRole(COUNCIL_ROLE, council);
    }

    modifier onlyCouncil() {
        if (!hasRole(COUNCIL_ROLE, msg.sender)) revert TrustRegistryNotCouncil(msg.sender);
        _;
    }

    /// @inheritdoc ITrustRegistry
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    // ----------------------------------------------------------------------------- agencies

    /// @inheritdoc ITrustRegistry
    function admitAgency(address agency, string calldata name, bytes32 metadataDigest) external onlyCouncil {
        AgencyRecord storage a = _agencies[agency];
        if (a.status != _NONE) revert TrustRegistryAgencyExists(agency, a.status);
        a.status = _ACTIVE;
        a.admittedAt = uint40(block.timestamp);
        a.metadataDigest = metadataDigest;
        a.name = name;
        emit AgencyAdmitted(agency, name, metadataDigest);
    }

    /// @inheritdoc ITrustRegistry
    function suspendAgency(address agency) external onlyCouncil {
        AgencyRecord storage a = _requireAgency(agency);
        if (a.status != _ACTIVE) revert TrustRegistryInvalidStatusTransition(agency, a.status, _SUSPENDED);
        a.status = _SUSPENDED;
        a.suspendedSince = uint40(block.timestamp);
        emit AgencySuspended(agency);
    }

    /// @inheritdoc ITrustRegistry
    function reinstateAgency(address agency) external onlyCouncil {
        AgencyRecord storage a = _requireAgency(agency);
        if (a.status != _SUSPENDED) revert TrustRegistryInvalidStatusTransition(agency, a.status, _ACTIVE);
        _suspensions[agency].push(Period(a.suspendedSince, uint40(block.timestamp)));
        a.status = _ACTIVE;
        a.suspendedSince = 0;
        emit AgencyReinstated(agency);
    }

    /// @inheritdoc ITrustRegistry
    function removeAgency(address agency) external onlyCouncil {
        AgencyRecord storage a = _requireAgency(agency);
        if (a.status == _REMOVED) revert TrustRegistryInvalidStatusTransition(agency, a.status, _REMOVED);
        a.status = _REMOVED;
        a.removedAt = uint40(block.timestamp);
        emit AgencyRemoved(agency);
    }

    // ----------------------------------------------------------------------------- accreditation

    /// @inheritdoc ITrustRegistry
    function accredit(address agency, uint32 typeId, uint64 validFrom, uint64 validUntil, bool authority)
        external
        onlyCouncil
    {
        _requireActive(agency);
        if (!_types.exists(typeId)) revert TrustRegistryUnknownType(typeId);
        _storeGrant(agency, typeId, validFrom, validUntil, authority, address(0), 0);
    }

    /// @inheritdoc ITrustRegistry
    function subAccredit(address agency, uint32 typeId, uint64 validFrom, uint64 validUntil) external {
        if (agency == msg.sender) revert TrustRegistrySelfAccreditation(agency);
        Grant memory p = _grants[msg.sender][typeId];
        if (!p.authority || p.delegated || !_covers(p, block.timestamp) || _agencies[msg.sender].status != _ACTIVE) {
            revert TrustRegistryNotAuthority(msg.sender, typeId);
        }
        _requireActive(agency);
        uint64 from = validFrom < block.timestamp ? uint64(block.timestamp) : validFrom;
        bool exceeds = from < p.validFrom
            || (p.validUntil != 0 && (validUntil == 0 || validUntil > p.validUntil));
        if (exceeds) revert TrustRegistryWindowExceedsParent(from, validUntil, p.validFrom, p.validUntil);
        _storeGrant(agency, typeId, validFrom, validUntil, false, msg.sender, p.serial);
    }

    /// @inheritdoc ITrustRegistry
    function withdrawAccreditation(address agency, uint32 typeId) external {
        Grant storage g = _grants[agency][typeId];
        if (g.grantedAt == 0 || g.withdrawnAt != 0) revert TrustRegistryNotAccredited(agency, typeId);
        if (!hasRole(COUNCIL_ROLE, msg.sender)) {
            if (!g.delegated || _parents[agency][typeId] != msg.sender) {
                revert TrustRegistryNotParent(msg.sender, agency, typeId);
            }
        }
        g.withdrawnAt = uint40(block.timestamp);
        emit AccreditationWithdrawn(agency, typeId, msg.sender);
    }

    // ----------------------------------------------------------------------------- views

    /// @inheritdoc ITrustRegistry
    function canAnchor(address agency, uint32 typeId) external view returns (bool) {
        Grant memory g = _grants[agency][typeId];
        if (!_covers(g, block.timestamp)) return false;
        if (_agencies[agency].status != _ACTIVE) return false;
        if (!g.delegated) return true;
        address parent = _parents[agency][typeId];
        Grant memory p = _grants[parent][typeId];
        return p.serial == g.parentSerial && _covers(p, block.timestamp) && _agencies[parent].status == _ACTIVE;
    }

    /// @inheritdoc ITrustRegistry
    function isAccreditedAt(address agency, uint32 typeId, uint64 t) external view returns (bool) {
        if (!isAgencyActiveAt(agency, t)) return false;
        Grant memory g = _grants[agency][typeId];
        if (_covers(g, t)) return _parentCoveredAt(g, _parents[agency][typeId], typeId, t);
        PastGrant[] storage past = _history[agency][typeId];
        for (uint256 i = past.length; i > 0; --i) {
            PastGrant memory pg = past[i - 1];
            if (_covers(pg.grant, t)) return _parentCoveredAt(pg.grant, pg.parent, typeId, t);
        }
        return false;
    }

    /// @inheritdoc ITrustRegistry
    function isAuthority(address agency, uint32 typeId) external view returns (bool) {
        Grant memory g = _grants[agency][typeId];
        return g.authority && !g.delegated && _covers(g, block.timestamp) && _agencies[agency].status == _ACTIVE;
    }

    /// @inheritdoc ITrustRegistry
    function isAgencyActiveAt(address agency, uint64 t) public view returns (bool) {
        AgencyRecord storage a = _agencies[agency];
        if (a.admittedAt == 0 || t < a.admittedAt) return false;
        if (a.removedAt != 0 && t >= a.removedAt) return false;
        if (a.suspendedSince != 0 && t >= a.suspendedSince) return false;
        Period[] storage s = _suspensions[agency];
        for (uint256 i = s.length; i > 0; --i) {
            Period memory p = s[i - 1];
            if (t >= p.from && t < p.until) return false;
        }
        return true;
    }

    /// @inheritdoc ITrustRegistry
    function agencyStatus(address agency) external view returns (uint8) {
        return _agencies[agency].status;
    }

    /// @inheritdoc ITrustRegistry
    function agencyOf(address agency) external view returns (Agency memory) {
        AgencyRecord storage a = _agencies[agency];
        return Agency(a.status, a.admittedAt, a.suspendedSince, a.removedAt, a.metadataDigest, a.name);
    }

    /// @inheritdoc ITrustRegistry
    function accreditationOf(address agency, uint32 typeId) external view returns (Accreditation memory) {
        return _toAccreditation(_grants[agency][typeId], _parents[agency][typeId]);
    }

    /// @inheritdoc ITrustRegistry
    function accreditationHistory(address agency, uint32 typeId) external view returns (Accreditation[] memory out) {
        PastGrant[] storage past = _history[agency][typeId];
        out = new Accreditation[](past.length);
        for (uint256 i = 0; i < past.length; ++i) {
            out[i] = _toAccreditation(past[i].grant, past[i].parent);
        }
    }

    // ----------------------------------------------------------------------------- internals

    function _storeGrant(
        address agency,
        uint32 typeId,
        uint64 validFrom,
        uint64 validUntil,
        bool authority,
        address parent,
        uint32 parentSerial
    ) private {
        // Times are stored in uint40: a larger value would wrap (a far-future validFrom into a
        // back-dated one, validUntil 2**40 into 0 = open-ended), so it is refused.
        if (validFrom > type(uint40).max || validUntil > type(uint40).max) {
            revert TrustRegistryInvalidWindow(validFrom, validUntil);
        }
        uint64 from = validFrom < block.timestamp ? uint64(block.timestamp) : validFrom;
        if (validUntil != 0 && validUntil <= from) revert TrustRegistryInvalidWindow(from, validUntil);
        Grant memory current = _grants[agency][typeId];
        if (current.grantedAt != 0) {
            bool expired = current.validUntil != 0 && block.timestamp >= current.validUntil;
            if (current.withdrawnAt == 0 && !expired) revert TrustRegistryAlreadyAccredited(agency, typeId);
            _history[agency][typeId].push(PastGrant(current, _parents[agency][typeId]));
        }
        _grants[agency][typeId] = Grant({
            validFrom: uint40(from),
            validUntil: uint40(validUntil),
            withdrawnAt: 0,
            grantedAt: uint40(block.timestamp),
            authority: authority,
            delegated: parent != address(0),
            serial: ++_grantCount,
            parentSerial: parentSerial
        });
        _parents[agency][typeId] = parent;
        emit AccreditationGranted(agency, typeId, parent, from, validUntil, authority);
    }

    function _parentCoveredAt(Grant memory g, address parent, uint32 typeId, uint64 t) private view returns (bool) {
        if (!g.delegated) return true;
        if (!isAgencyActiveAt(parent, t)) return false;
        Grant memory p = _grants[parent][typeId];
        if (p.serial == g.parentSerial && _covers(p, t)) return true;
        PastGrant[] storage past = _history[parent][typeId];
        for (uint256 i = past.length; i > 0; --i) {
            Grant memory pg = past[i - 1].grant;
            if (pg.serial == g.parentSerial && _covers(pg, t)) return true;
        }
        return false;
    }

    function _covers(Grant memory g, uint256 t) private pure returns (bool) {
        return g.grantedAt != 0 && t >= g.validFrom && (g.validUntil == 0 || t < g.validUntil)
            && (g.withdrawnAt == 0 || t < g.withdrawnAt);
    }

    function _toAccreditation(Grant memory g, address parent) private pure returns (Accreditation memory) {
        return Accreditation(g.validFrom, g.validUntil, g.withdrawnAt, g.grantedAt, g.authority, g.delegated, parent);
    }

    function _requireAgency(address agency) private view returns (AgencyRecord storage a) {
        a = _agencies[agency];
        if (a.status == _NONE) revert TrustRegistryUnknownAgency(agency);
    }

    function _requireActive(address agency) private view {
        uint8 status = _agencies[agency].status;
        if (status == _NONE) revert TrustRegistryUnknownAgency(agency);
        if (status != _ACTIVE) revert TrustRegistryAgencyNotActive(agency, status);
    }
}
