// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title EASStyleReference
/// @notice Gas reference only (not deployed by the suite): stores a full EAS-style attestation
/// record per credential, like EAS `attest`, so scripts/bench_gas.py can compare against it.
contract EASStyleReference {
    /// @notice The EAS Attestation record layout.
    struct Attestation {
        bytes32 uid;
        bytes32 schema;
        uint64 time;
        uint64 expirationTime;
        uint64 revocationTime;
        bytes32 refUID;
        address recipient;
        address attester;
        bool revocable;
        bytes data;
    }

    /// @notice Emitted like EAS `Attested`.
    event Attested(address indexed recipient, address indexed attester, bytes32 uid, bytes32 indexed schema);

    /// @notice The uid already exists.
    error EASStyleReferenceAlreadyAttested(bytes32 uid);

    uint256 private _nonce;
    mapping(bytes32 uid => Attestation attestation) private _attestations;

    /// @notice Contract version.
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    /// @notice Store one attestation whose data is the credential digest.
    function attest(bytes32 schema, address recipient, uint64 expirationTime, bool revocable, bytes calldata data)
        external
        returns (bytes32 uid)
    {
        uid = keccak256(abi.encodePacked(schema, recipient, msg.sender, block.timestamp, data, _nonce++));
        if (_attestations[uid].uid != bytes32(0)) revert EASStyleReferenceAlreadyAttested(uid);
        _attestations[uid] = Attestation({
            uid: uid,
            schema: schema,
            time: uint64(block.timestamp),
            expirationTime: expirationTime,
            revocationTime: 0,
            refUID: bytes32(0),
            recipient: recipient,
            attester: msg.sender,
            revocable: revocable,
            data: data
        });
        emit Attested(recipient, msg.sender, uid, schema);
    }

    /// @notice Read an attestation.
    function getAttestation(bytes32 uid) external view returns (Attestation memory) {
        return _attestations[uid];
    }
}
