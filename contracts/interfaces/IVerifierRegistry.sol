// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";
import {ITrustRegistry} from "./ITrustRegistry.sol";

/// @title Verifier registry: which agency may request which claims of a type, for which purpose.
/// @notice Registrations are keyed by (verifier, typeId, purposeDigest); registering again
/// replaces the previous registration. A request is authorised at t when the requested claim
/// mask is a non-empty subset of the registered mask, t is inside [validFrom, validUntil)
/// (validUntil 0 = open-ended), the registration is not withdrawn at t, and the verifier agency
/// is Active now. Each registration carries the legal basis of its purpose (GDPR Art. 6(1)),
/// set by the council with the registration it votes on: a requester cannot widen it. A source
/// asked for data makes one read, {requesterCheck}.
interface IVerifierRegistry is ISemver {
    /// @notice The legal basis of a registered purpose. Consent (the default, 0: a registration
    /// made without one needs the citizen's consent): Art. 6(1)(a); LegalObligation: (c);
    /// PublicTask: (e). ABI-encoded as uint8 (0, 1, 2).
    enum LegalBasis {
        Consent,
        LegalObligation,
        PublicTask
    }

    /// @notice A registration.
    struct Registration {
        uint256 claimMask;
        uint64 validFrom;
        uint64 validUntil;
        uint64 withdrawnAt;
        uint64 registeredAt;
        LegalBasis legalBasis;
    }

    /// @notice Emitted when the council registers (or re-registers) a verifier purpose.
    event VerifierRegistered(
        address indexed verifier,
        uint32 indexed typeId,
        bytes32 indexed purposeDigest,
        uint256 claimMask,
        uint64 validFrom,
        uint64 validUntil,
        LegalBasis legalBasis
    );
    /// @notice Emitted when the council withdraws a registration.
    event VerifierWithdrawn(address indexed verifier, uint32 indexed typeId, bytes32 indexed purposeDigest);

    /// @notice The caller lacks the council role.
    error VerifierRegistryNotCouncil(address caller);
    /// @notice The verifier is not an Active agency.
    error VerifierRegistryAgencyNotActive(address verifier, ITrustRegistry.AgencyStatus status);
    /// @notice The type is not registered.
    error VerifierRegistryUnknownType(uint32 typeId);
    /// @notice The mask is empty or names claims the type does not have.
    error VerifierRegistryInvalidClaimMask(uint32 typeId, uint256 claimMask, uint256 claimCount);
    /// @notice validUntil must be 0 (open) or after validFrom; neither may exceed 2**40 - 1.
    error VerifierRegistryInvalidWindow(uint64 validFrom, uint64 validUntil);
    /// @notice No live registration for this key.
    error VerifierRegistryNotRegistered(address verifier, uint32 typeId, bytes32 purposeDigest);

    /// @notice Register a verifier purpose with its legal basis (council only).
    function registerVerifier(
        address verifier,
        uint32 typeId,
        bytes32 purposeDigest,
        uint256 claimMask,
        uint64 validFrom,
        uint64 validUntil,
        LegalBasis legalBasis
    ) external;
    /// @notice Withdraw a registration (council only).
    function withdrawVerifier(address verifier, uint32 typeId, bytes32 purposeDigest) external;
    /// @notice The registration (registeredAt 0 = none).
    function registrationOf(address verifier, uint32 typeId, bytes32 purposeDigest)
        external
        view
        returns (Registration memory);
    /// @notice Whether `verifier` may request `claimMask` of `typeId` for `purposeDigest` at `t`.
    function isAuthorized(address verifier, uint32 typeId, bytes32 purposeDigest, uint256 claimMask, uint64 t)
        external
        view
        returns (bool);
    /// @notice The one read a data source makes per query, at the current block time: the
    /// requester's agency status; whether its registration for `typeId` and `purposeDigest` is
    /// in force (registered, inside its window, not withdrawn); whether `claimMask` is a
    /// non-empty subset of the registered claims; whether it is authorised (all three, and
    /// Active: {isAuthorized} now); and the legal basis the council set (Consent when none).
    /// The parts let a source give each refusal its own reason.
    function requesterCheck(address requester, uint32 typeId, uint256 claimMask, bytes32 purposeDigest)
        external
        view
        returns (
            ITrustRegistry.AgencyStatus status,
            bool registered,
            bool covered,
            bool authorised,
            LegalBasis legalBasis
        );
}
