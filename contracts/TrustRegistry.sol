// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {ICredentialTypeRegistry} from "./interfaces/ICredentialTypeRegistry.sol";
import {CouncilGoverned} from "./common/CouncilGoverned.sol";
import {Semver} from "./common/Semver.sol";
import {TimeWindow} from "./common/TimeWindow.sol";

/// @title TrustRegistry
/// @notice See {ITrustRegistry}. Storage is laid out so that `canAnchor` for a direct
/// accreditation reads exactly two slots: the packed accreditation and the agency's status slot.
/// History is kept in OpenZeppelin checkpoints (keyed by time, binary-searched), written only
/// once there is history: per agency, its status changes after admission; per (agency, type),
/// the grant times of past grants. A grant covers at most [grantedAt, next grant's grantedAt) (a
/// new grant needs the previous one withdrawn or expired), so the one grant that can cover t is
/// the last one granted at or before t. A question about a time since the latest change (the
/// usual one: "at this recent anchor") is answered from the current records without a search.
contract TrustRegistry is ITrustRegistry, CouncilGoverned, Semver(1, 1, 0) {
    using Checkpoints for Checkpoints.Trace208;

    /// @dev First slot: status + timestamps (one SLOAD for the status check, and for "was it
    /// Active at t" when t >= changedAt, the time of the latest status change).
    struct AgencyRecord {
        AgencyStatus status;
        uint40 admittedAt;
        uint40 suspendedSince;
        uint40 removedAt;
        uint40 changedAt;
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

    ICredentialTypeRegistry private immutable _types;
    uint32 private _grantCount;

    mapping(address agency => AgencyRecord record) private _agencies;
    /// @dev Status changes after admission: 1 (not Active) from a suspension or removal, 0 from
    /// a reinstatement; no checkpoint at or before t (but admitted by t) means Active.
    mapping(address agency => Checkpoints.Trace208 inactive) private _inactivity;
    mapping(address agency => mapping(uint32 typeId => Grant grant)) private _grants;
    mapping(address agency => mapping(uint32 typeId => address parent)) private _parents;
    mapping(address agency => mapping(uint32 typeId => PastGrant[] grants)) private _history;
    /// @dev A past grant's grantedAt -> its number n in the history (`_history[..][n - 1]`).
    mapping(address agency => mapping(uint32 typeId => Checkpoints.Trace208 pastGrants)) private _grantTimeline;

    /// @param council the Council contract (gets the council and admin roles)
    /// @param types the CredentialTypeRegistry
    constructor(address council, ICredentialTypeRegistry types) CouncilGoverned(council) {
        _types = types;
    }

    modifier onlyCouncil() {
        if (!_isCouncil(msg.sender)) revert TrustRegistryNotCouncil(msg.sender);
        _;
    }

    // ----------------------------------------------------------------------------- agencies

    /// @inheritdoc ITrustRegistry
    function admitAgency(address agency, string calldata name, bytes32 metadataDigest) external onlyCouncil {
        AgencyRecord storage a = _agencies[agency];
        if (a.status != AgencyStatus.None) revert TrustRegistryAgencyExists(agency, a.status);
        a.status = AgencyStatus.Active;
        a.admittedAt = uint40(block.timestamp);
        a.changedAt = uint40(block.timestamp);
        a.metadataDigest = metadataDigest;
        a.name = name;
        emit AgencyAdmitted(agency, name, metadataDigest);
    }

    /// @inheritdoc ITrustRegistry
    function suspendAgency(address agency) external onlyCouncil {
        AgencyRecord storage a = _requireAgency(agency);
        if (a.status != AgencyStatus.Active) {
            revert TrustRegistryInvalidStatusTransition(agency, a.status, AgencyStatus.Suspended);
        }
        a.suspendedSince = uint40(block.timestamp);
        _changeStatus(agency, a, AgencyStatus.Suspended);
        emit AgencySuspended(agency);
    }

    /// @inheritdoc ITrustRegistry
    function reinstateAgency(address agency) external onlyCouncil {
        AgencyRecord storage a = _requireAgency(agency);
        if (a.status != AgencyStatus.Suspended) {
            revert TrustRegistryInvalidStatusTransition(agency, a.status, AgencyStatus.Active);
        }
        a.suspendedSince = 0;
        _changeStatus(agency, a, AgencyStatus.Active);
        emit AgencyReinstated(agency);
    }

    /// @inheritdoc ITrustRegistry
    function removeAgency(address agency) external onlyCouncil {
        AgencyRecord storage a = _requireAgency(agency);
        if (a.status == AgencyStatus.Removed) {
            revert TrustRegistryInvalidStatusTransition(agency, a.status, AgencyStatus.Removed);
        }
        a.removedAt = uint40(block.timestamp);
        _changeStatus(agency, a, AgencyStatus.Removed);
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
        if (
            !p.authority || p.delegated || !_covers(p, block.timestamp)
                || _agencies[msg.sender].status != AgencyStatus.Active
        ) {
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
        if (!_isCouncil(msg.sender)) {
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
        if (_agencies[agency].status != AgencyStatus.Active) return false;
        if (!g.delegated) return true;
        address parent = _parents[agency][typeId];
        Grant memory p = _grants[parent][typeId];
        return p.serial == g.parentSerial && _covers(p, block.timestamp)
            && _agencies[parent].status == AgencyStatus.Active;
    }

    /// @inheritdoc ITrustRegistry
    function isAccreditedAt(address agency, uint32 typeId, uint64 t) external view returns (bool) {
        if (!isAgencyActiveAt(agency, t)) return false;
        (Grant memory g, uint256 n) = _grantAt(agency, typeId, t);
        if (!_covers(g, t)) return false;
        return !g.delegated || _parentCoveredAt(g, _parentOf(agency, typeId, n), typeId, t);
    }

    /// @inheritdoc ITrustRegistry
    function isAuthority(address agency, uint32 typeId) external view returns (bool) {
        Grant memory g = _grants[agency][typeId];
        return g.authority && !g.delegated && _covers(g, block.timestamp)
            && _agencies[agency].status == AgencyStatus.Active;
    }

    /// @inheritdoc ITrustRegistry
    function isAgencyActiveAt(address agency, uint64 t) public view returns (bool) {
        AgencyRecord storage a = _agencies[agency];
        // Never admitted: status None, changedAt 0. Since the latest change: the current status.
        if (t >= a.changedAt) return a.status == AgencyStatus.Active;
        if (t < a.admittedAt) return false;
        // t < changedAt, a block timestamp: the cast to the 48-bit key is exact.
        return _inactivity[agency].upperLookupRecent(uint48(t)) == 0;
    }

    /// @inheritdoc ITrustRegistry
    function agencyStatus(address agency) external view returns (AgencyStatus) {
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
        (uint64 from, bool ok) = TimeWindow.start(validFrom, validUntil);
        if (!ok) revert TrustRegistryInvalidWindow(from, validUntil);
        _archiveGrant(agency, typeId);
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

    /// @dev Move the current grant (if any; it must be withdrawn or expired) to the history and
    /// checkpoint its grant time. Of past grants made in the same block only the last could
    /// cover anything (the others ended when the next began): its checkpoint overwrites theirs.
    function _archiveGrant(address agency, uint32 typeId) private {
        Grant memory current = _grants[agency][typeId];
        if (current.grantedAt == 0) return;
        bool expired = current.validUntil != 0 && block.timestamp >= current.validUntil;
        if (current.withdrawnAt == 0 && !expired) revert TrustRegistryAlreadyAccredited(agency, typeId);
        PastGrant[] storage past = _history[agency][typeId];
        past.push(PastGrant(current, _parents[agency][typeId]));
        _grantTimeline[agency][typeId].push(current.grantedAt, uint208(past.length));
    }

    /// @dev The only grant of `agency` for `typeId` that can cover `t` (the contract notice),
    /// and where it is: n = 0 the current grant, else `_history[..][n - 1]`. The current grant
    /// when it was made at or before t (no search), else the last past grant made at or before
    /// t. The caller still checks that it covers t (if nothing was granted by t, it does not).
    function _grantAt(address agency, uint32 typeId, uint64 t) private view returns (Grant memory g, uint256 n) {
        g = _grants[agency][typeId];
        if (t >= g.grantedAt) return (g, 0);
        // t < grantedAt, a block timestamp: the cast to the 48-bit key is exact.
        n = _grantTimeline[agency][typeId].upperLookupRecent(uint48(t));
        if (n != 0) g = _history[agency][typeId][n - 1].grant;
    }

    /// @dev The parent of the grant found by `_grantAt` (read only for a sub-accreditation).
    function _parentOf(address agency, uint32 typeId, uint256 n) private view returns (address) {
        return n == 0 ? _parents[agency][typeId] : _history[agency][typeId][n - 1].parent;
    }

    /// @dev Whether the sub-accreditation `g` had the parent's grant it was made under valid at
    /// `t`, with the parent Active.
    function _parentCoveredAt(Grant memory g, address parent, uint32 typeId, uint64 t) private view returns (bool) {
        if (!isAgencyActiveAt(parent, t)) return false;
        (Grant memory p,) = _grantAt(parent, typeId, t);
        return p.serial == g.parentSerial && _covers(p, t);
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
        if (a.status == AgencyStatus.None) revert TrustRegistryUnknownAgency(agency);
    }

    function _requireActive(address agency) private view {
        AgencyStatus status = _agencies[agency].status;
        if (status == AgencyStatus.None) revert TrustRegistryUnknownAgency(agency);
        if (status != AgencyStatus.Active) revert TrustRegistryAgencyNotActive(agency, status);
    }

    /// @dev A status change after admission: the new status, its time, and a checkpoint of
    /// whether the agency is Active from now on (block timestamps fit the 48-bit key).
    function _changeStatus(address agency, AgencyRecord storage a, AgencyStatus status) private {
        a.status = status;
        a.changedAt = uint40(block.timestamp);
        _inactivity[agency].push(uint48(block.timestamp), status == AgencyStatus.Active ? 0 : 1);
    }
}
