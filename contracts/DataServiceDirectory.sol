// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDataServiceDirectory} from "./interfaces/IDataServiceDirectory.sol";
import {ITrustRegistry} from "./interfaces/ITrustRegistry.sol";
import {CouncilGoverned} from "./common/CouncilGoverned.sol";
import {Semver} from "./common/Semver.sol";

/// @title DataServiceDirectory
/// @notice See {IDataServiceDirectory}.
contract DataServiceDirectory is IDataServiceDirectory, CouncilGoverned, Semver(1, 0, 0) {
    struct Record {
        address agency;
        uint40 publishedAt;
        string url;
    }

    uint256 private constant _MAX_URL = 256;

    ITrustRegistry private immutable _trust;
    mapping(uint32 typeId => Record record) private _services;

    /// @param council the Council contract (gets the council and admin roles)
    /// @param trust the TrustRegistry answering `canAnchor`
    constructor(address council, ITrustRegistry trust) CouncilGoverned(council) {
        _trust = trust;
    }

    /// @inheritdoc IDataServiceDirectory
    function publish(uint32 typeId, string calldata url) external {
        uint256 length = bytes(url).length;
        if (length == 0 || length > _MAX_URL) revert DataServiceDirectoryInvalidUrl(length, _MAX_URL);
        if (!_trust.canAnchor(msg.sender, typeId)) revert DataServiceDirectoryNotAccredited(msg.sender, typeId);
        Record storage r = _services[typeId];
        address holder = r.agency;
        if (holder != address(0) && holder != msg.sender && _trust.canAnchor(holder, typeId)) {
            revert DataServiceDirectoryHeld(typeId, holder);
        }
        r.agency = msg.sender;
        r.publishedAt = uint40(block.timestamp);
        r.url = url;
        emit DataServicePublished(typeId, msg.sender, url);
    }

    /// @inheritdoc IDataServiceDirectory
    function withdraw(uint32 typeId) external {
        address holder = _services[typeId].agency;
        if (holder == address(0) || holder != msg.sender) {
            revert DataServiceDirectoryNotHolder(msg.sender, typeId, holder);
        }
        delete _services[typeId];
        emit DataServiceWithdrawn(typeId, holder, msg.sender);
    }

    /// @inheritdoc IDataServiceDirectory
    function clearService(uint32 typeId) external {
        if (!_isCouncil(msg.sender)) revert DataServiceDirectoryNotCouncil(msg.sender);
        address holder = _services[typeId].agency;
        if (holder == address(0)) revert DataServiceDirectoryNoService(typeId);
        delete _services[typeId];
        emit DataServiceWithdrawn(typeId, holder, msg.sender);
    }

    /// @inheritdoc IDataServiceDirectory
    function serviceOf(uint32 typeId) external view returns (DataService memory) {
        Record storage r = _services[typeId];
        address agency = r.agency;
        bool current = agency != address(0) && _trust.canAnchor(agency, typeId);
        return DataService(agency, r.publishedAt, current, r.url);
    }

    /// @inheritdoc IDataServiceDirectory
    function maxUrlLength() external pure returns (uint256) {
        return _MAX_URL;
    }
}
