// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";
import {ITrustRegistry} from "./ITrustRegistry.sol";

/// @title Key registry: agency signing keys (P-256) by RFC 7638 thumbprint.
/// @notice `kid` is the raw 32-byte SHA-256 JWK thumbprint of (x, y), checked on registration,
/// and the registering agency proves it holds the private key: (r, s) is the key's ES256
/// signature over `possessionMessage(agency, kid)`, checked with the P256VERIFY precompile
/// (EIP-7951, from the Osaka hardfork). So no agency can claim another's key or its kid. A kid,
/// once claimed, belongs to the claiming agency forever. A key is valid at t when validFrom <= t
/// < validUntil (validUntil 0 = open-ended) and (revokedAt == 0 or t < revokedAt). validFrom is
/// never before registration.
interface IKeyRegistry is ISemver {
    /// @notice A registered key.
    struct Key {
        bytes32 x;
        bytes32 y;
        address agency;
        uint64 validFrom;
        uint64 validUntil;
        uint64 revokedAt;
    }

    /// @notice Emitted when an agency registers a key.
    event KeyRegistered(bytes32 indexed kid, address indexed agency, uint64 validFrom, uint64 validUntil);
    /// @notice Emitted when a key is retired by rotation (its validUntil set to now).
    event KeyRotated(bytes32 indexed oldKid, bytes32 indexed newKid, address indexed agency);
    /// @notice Emitted when a key is revoked (emergency).
    event KeyRevoked(bytes32 indexed kid, address indexed agency, address indexed by);

    /// @notice The kid is zero.
    error KeyRegistryZeroKid();
    /// @notice The kid is already registered (by anyone).
    error KeyRegistryKidTaken(bytes32 kid, address owner);
    /// @notice The kid is not registered.
    error KeyRegistryUnknownKey(bytes32 kid);
    /// @notice The caller does not own the key (and is not the council, where allowed).
    error KeyRegistryNotKeyOwner(bytes32 kid, address caller);
    /// @notice The caller is not an Active agency.
    error KeyRegistryAgencyNotActive(address agency, ITrustRegistry.AgencyStatus status);
    /// @notice validUntil must be 0 (open) or after validFrom; neither may exceed 2**40 - 1.
    error KeyRegistryInvalidWindow(uint64 validFrom, uint64 validUntil);
    /// @notice The key is already revoked.
    error KeyRegistryKeyRevoked(bytes32 kid, uint64 revokedAt);
    /// @notice The key's validity already ended.
    error KeyRegistryKeyExpired(bytes32 kid, uint64 validUntil);
    /// @notice The kid is not the RFC 7638 thumbprint of the key's (x, y).
    error KeyRegistryKidMismatch(bytes32 kid, bytes32 thumbprint);
    /// @notice The proof of possession does not verify: (r, s) is not the key's signature over
    /// `possessionMessage(caller, kid)`, or (x, y) is not a P-256 point.
    error KeyRegistryBadPossessionProof(bytes32 kid);

    /// @notice Register a key for the calling (Active) agency, with its proof of possession (r, s).
    function registerKey(bytes32 kid, bytes32 x, bytes32 y, uint64 validFrom, uint64 validUntil, bytes32 r, bytes32 s)
        external;
    /// @notice Register `newKid` valid from now and end `oldKid`'s validity now, in one call; (r, s)
    /// proves possession of the new key.
    function rotateKey(bytes32 oldKid, bytes32 newKid, bytes32 x, bytes32 y, uint64 validUntil, bytes32 r, bytes32 s)
        external;
    /// @notice What the key `kid` signs (ES256) to prove that `agency` holds it on this registry
    /// and chain: abi.encode(keccak256("ledger.KeyRegistry.possession.v1"), chainid, this
    /// registry, agency, kid).
    function possessionMessage(address agency, bytes32 kid) external view returns (bytes memory);
    /// @notice Emergency revocation (revokedAt = now), by the owning agency or the council.
    function revokeKey(bytes32 kid) external;
    /// @notice The key record (agency zero = unknown).
    function keyOf(bytes32 kid) external view returns (Key memory);
    /// @notice Whether `kid` belongs to `agency` and was valid at `t`.
    function isKeyValidAt(bytes32 kid, address agency, uint64 t) external view returns (bool);
}
