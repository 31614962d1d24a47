// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";

/// @title Trust registry: agencies and their accreditations per credential type.
/// @notice Agency status: {AgencyStatus} (Removed is final).
/// An accreditation covers one (agency, typeId) with a window [validFrom, validUntil)
/// (validUntil 0 = open-ended). validFrom is never earlier than the grant time, so history
/// cannot be back-dated. An accredited *authority* may sub-accredit another agency for the same
/// type inside its own window, one level down only; a sub-accreditation is valid only while its
/// parent's grant is valid and the parent agency is Active (checked at read time, no loops).
/// Withdrawal moves the record to an append-only history so `isAccreditedAt` stays answerable;
/// re-accreditation after withdrawal creates a fresh grant, and sub-accreditations made under the
/// earlier grant stay invalid. Questions about a past time t ("was the agency Active / accredited
/// at t") are answered from checkpoints by binary search: their gas grows with the logarithm of
/// an agency's history, not with its length.
interface ITrustRegistry is ISemver {
    /// @notice Lifecycle of an agency: None (never admitted) -> Active <-> Suspended, and
    /// Active or Suspended -> Removed (final). ABI-encoded as uint8 (0, 1, 2, 3).
    enum AgencyStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @notice An agency as stored (name and metadata digest are informational).
    struct Agency {
        AgencyStatus status;
        uint64 admittedAt;
        uint64 suspendedSince;
        uint64 removedAt;
        bytes32 metadataDigest;
        string name;
    }

    /// @notice An accreditation grant of an agency for one credential type.
    struct Accreditation {
        uint64 validFrom;
        uint64 validUntil;
        uint64 withdrawnAt;
        uint64 grantedAt;
        bool authority;
        bool delegated;
        address parent;
    }

    /// @notice Emitted when the council admits an agency.
    event AgencyAdmitted(address indexed agency, string name, bytes32 metadataDigest);
    /// @notice Emitted when the council suspends an agency.
    event AgencySuspended(address indexed agency);
    /// @notice Emitted when the council reinstates a suspended agency.
    event AgencyReinstated(address indexed agency);
    /// @notice Emitted when the council removes an agency for good.
    event AgencyRemoved(address indexed agency);
    /// @notice Emitted when an accreditation (direct or sub-) is granted.
    event AccreditationGranted(
        address indexed agency,
        uint32 indexed typeId,
        address indexed parent,
        uint64 validFrom,
        uint64 validUntil,
        bool authority
    );
    /// @notice Emitted when an accreditation is withdrawn (by the council or the parent).
    event AccreditationWithdrawn(address indexed agency, uint32 indexed typeId, address indexed by);

    /// @notice The caller lacks the council role.
    error TrustRegistryNotCouncil(address caller);
    /// @notice The agency was never admitted.
    error TrustRegistryUnknownAgency(address agency);
    /// @notice The agency is already known (admitted before, possibly removed).
    error TrustRegistryAgencyExists(address agency, AgencyStatus status);
    /// @notice The requested status change is not allowed from the current status.
    error TrustRegistryInvalidStatusTransition(address agency, AgencyStatus current, AgencyStatus requested);
    /// @notice The agency must be Active for this operation.
    error TrustRegistryAgencyNotActive(address agency, AgencyStatus status);
    /// @notice The credential type is not registered.
    error TrustRegistryUnknownType(uint32 typeId);
    /// @notice validUntil must be 0 (open) or after validFrom (and after now); neither may
    /// exceed 2**40 - 1 (times are stored in 40 bits).
    error TrustRegistryInvalidWindow(uint64 validFrom, uint64 validUntil);
    /// @notice A live (not withdrawn) accreditation already exists.
    error TrustRegistryAlreadyAccredited(address agency, uint32 typeId);
    /// @notice No live accreditation exists.
    error TrustRegistryNotAccredited(address agency, uint32 typeId);
    /// @notice The caller is not a direct, currently valid authority for the type.
    error TrustRegistryNotAuthority(address agency, uint32 typeId);
    /// @notice A sub-accreditation must lie inside the parent's window.
    error TrustRegistryWindowExceedsParent(uint64 validFrom, uint64 validUntil, uint64 parentFrom, uint64 parentUntil);
    /// @notice Only the parent that granted a sub-accreditation (or the council) may withdraw it.
    error TrustRegistryNotParent(address caller, address agency, uint32 typeId);
    /// @notice An agency cannot sub-accredit itself.
    error TrustRegistrySelfAccreditation(address agency);

    /// @notice Admit a new agency (council only).
    function admitAgency(address agency, string calldata name, bytes32 metadataDigest) external;
    /// @notice Suspend an Active agency (council only); its accreditations and its children pause.
    function suspendAgency(address agency) external;
    /// @notice Reinstate a Suspended agency (council only).
    function reinstateAgency(address agency) external;
    /// @notice Remove an agency for good (council only).
    function removeAgency(address agency) external;
    /// @notice Accredit an Active agency for a type (council only).
    function accredit(address agency, uint32 typeId, uint64 validFrom, uint64 validUntil, bool authority) external;
    /// @notice Withdraw an accreditation (council: any; an authority: its own sub-accreditations).
    function withdrawAccreditation(address agency, uint32 typeId) external;
    /// @notice Sub-accredit another Active agency for a type the caller is an authority for.
    function subAccredit(address agency, uint32 typeId, uint64 validFrom, uint64 validUntil) external;

    /// @notice Whether `agency` may anchor credentials of `typeId` right now (cheap: 2 slots
    /// for a direct accreditation).
    function canAnchor(address agency, uint32 typeId) external view returns (bool);
    /// @notice Whether `agency` was accredited for `typeId` (and Active, and its parent too) at `t`.
    function isAccreditedAt(address agency, uint32 typeId, uint64 t) external view returns (bool);
    /// @notice Whether `agency` is a direct authority for `typeId` now (agency Active, grant valid).
    function isAuthority(address agency, uint32 typeId) external view returns (bool);
    /// @notice Whether `agency` was Active at `t`.
    function isAgencyActiveAt(address agency, uint64 t) external view returns (bool);
    /// @notice Current status of an agency.
    function agencyStatus(address agency) external view returns (AgencyStatus);
    /// @notice The stored agency record.
    function agencyOf(address agency) external view returns (Agency memory);
    /// @notice The current (possibly withdrawn) accreditation record; grantedAt 0 = none.
    function accreditationOf(address agency, uint32 typeId) external view returns (Accreditation memory);
    /// @notice Past (withdrawn) grants of `agency` for `typeId`, oldest first.
    function accreditationHistory(address agency, uint32 typeId) external view returns (Accreditation[] memory);
}
