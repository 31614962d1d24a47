// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {IKeyRegistry} from "./interfaces/IKeyRegistry.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {CouncilGoverned} from "./common/CouncilGoverned.sol";
import {Semver} from "./common/Semver.sol";
import {TimeWindow} from "./common/TimeWindow.sol";

/// @title KeyRegistry
/// @notice See {IKeyRegistry}.
contract KeyRegistry is IKeyRegistry, CouncilGoverned, Semver(1, 1, 0) {
    struct KeyRecord {
        bytes32 x;
        bytes32 y;
        address agency;
        uint40 validFrom;
        uint40 validUntil;
        uint40 revokedAt;
    }

    bytes32 private constant _POSSESSION_TAG = keccak256("ledger.KeyRegistry.possession.v1");
    /// @dev The P256VERIFY precompile (EIP-7951). Where it is missing, a call returns no data
    /// and every proof is refused.
    address private constant _P256_VERIFY = address(0x100);

    ITrustRegistry private immutable _trust;
    mapping(bytes32 kid => KeyRecord key) private _keys;

    /// @param council the Council contract (gets the council and admin roles)
    /// @param trust the TrustRegistry (agency status)
    constructor(address council, ITrustRegistry trust) CouncilGoverned(council) {
        _trust = trust;
    }

    /// @inheritdoc IKeyRegistry
    function registerKey(bytes32 kid, bytes32 x, bytes32 y, uint64 validFrom, uint64 validUntil, bytes32 r, bytes32 s)
        external
    {
        _requireActive(msg.sender);
        _requirePossession(kid, x, y, r, s);
        _store(kid, x, y, validFrom, validUntil);
    }

    /// @inheritdoc IKeyRegistry
    function rotateKey(bytes32 oldKid, bytes32 newKid, bytes32 x, bytes32 y, uint64 validUntil, bytes32 r, bytes32 s)
        external
    {
        _requireActive(msg.sender);
        _requirePossession(newKid, x, y, r, s);
        KeyRecord storage old = _requireOwned(oldKid);
        if (old.revokedAt != 0) revert KeyRegistryKeyRevoked(oldKid, old.revokedAt);
        if (old.validUntil != 0 && old.validUntil <= block.timestamp) {
            revert KeyRegistryKeyExpired(oldKid, old.validUntil);
        }
        _store(newKid, x, y, uint64(block.timestamp), validUntil);
        // A key registered with a future validFrom ends before it starts; keep the window well-formed.
        old.validUntil = uint40(block.timestamp);
        if (old.validFrom > block.timestamp) old.validFrom = uint40(block.timestamp);
        emit KeyRotated(oldKid, newKid, msg.sender);
    }

    /// @inheritdoc IKeyRegistry
    function revokeKey(bytes32 kid) external {
        KeyRecord storage k = _keys[kid];
        if (k.agency == address(0)) revert KeyRegistryUnknownKey(kid);
        if (k.agency != msg.sender && !_isCouncil(msg.sender)) revert KeyRegistryNotKeyOwner(kid, msg.sender);
        if (k.revokedAt != 0) revert KeyRegistryKeyRevoked(kid, k.revokedAt);
        k.revokedAt = uint40(block.timestamp);
        emit KeyRevoked(kid, k.agency, msg.sender);
    }

    /// @inheritdoc IKeyRegistry
    function keyOf(bytes32 kid) external view returns (Key memory) {
        KeyRecord storage k = _keys[kid];
        return Key(k.x, k.y, k.agency, k.validFrom, k.validUntil, k.revokedAt);
    }

    /// @inheritdoc IKeyRegistry
    function isKeyValidAt(bytes32 kid, address agency, uint64 t) external view returns (bool) {
        KeyRecord storage k = _keys[kid];
        if (agency == address(0) || k.agency != agency) return false;
        if (t < k.validFrom) return false;
        if (k.validUntil != 0 && t >= k.validUntil) return false;
        return k.revokedAt == 0 || t < k.revokedAt;
    }

    /// @inheritdoc IKeyRegistry
    function possessionMessage(address agency, bytes32 kid) public view returns (bytes memory) {
        return abi.encode(_POSSESSION_TAG, block.chainid, address(this), agency, kid);
    }

    /// @dev kid = RFC 7638 thumbprint of (x, y), and (r, s) = the key's signature over
    /// possessionMessage(msg.sender, kid).
    function _requirePossession(bytes32 kid, bytes32 x, bytes32 y, bytes32 r, bytes32 s) private view {
        if (kid == bytes32(0)) revert KeyRegistryZeroKid();
        bytes32 thumbprint = sha256(
            bytes.concat(
                '{"crv":"P-256","kty":"EC","x":"',
                bytes(Base64.encodeURL(bytes.concat(x))),
                '","y":"',
                bytes(Base64.encodeURL(bytes.concat(y))),
                '"}'
            )
        );
        if (kid != thumbprint) revert KeyRegistryKidMismatch(kid, thumbprint);
        bytes32 digest = sha256(possessionMessage(msg.sender, kid));
        (bool ok, bytes memory result) = _P256_VERIFY.staticcall(abi.encode(digest, r, s, x, y));
        if (!ok || result.length != 32 || uint256(bytes32(result)) != 1) revert KeyRegistryBadPossessionProof(kid);
    }

    function _store(bytes32 kid, bytes32 x, bytes32 y, uint64 validFrom, uint64 validUntil) private {
        address owner = _keys[kid].agency;
        if (owner != address(0)) revert KeyRegistryKidTaken(kid, owner);
        (uint64 from, bool ok) = TimeWindow.start(validFrom, validUntil);
        if (!ok) revert KeyRegistryInvalidWindow(from, validUntil);
        _keys[kid] = KeyRecord(x, y, msg.sender, uint40(from), uint40(validUntil), 0);
        emit KeyRegistered(kid, msg.sender, from, validUntil);
    }

    function _requireOwned(bytes32 kid) private view returns (KeyRecord storage k) {
        k = _keys[kid];
        if (k.agency == address(0)) revert KeyRegistryUnknownKey(kid);
        if (k.agency != msg.sender) revert KeyRegistryNotKeyOwner(kid, msg.sender);
    }

    function _requireActive(address agency) private view {
        ITrustRegistry.AgencyStatus status = _trust.agencyStatus(agency);
        if (status != ITrustRegistry.AgencyStatus.Active) revert KeyRegistryAgencyNotActive(agency, status);
    }
}
