// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";

/// @title Data service directory: where the authoritative source of a credential type answers.
/// @notice One data service per credential type: the endpoint URL (public) of the source that
/// holds the type's register. An agency that may anchor the type now (Active and accredited,
/// `ITrustRegistry.canAnchor`) publishes its URL for it. The first such agency to publish holds
/// the entry: it may change its URL or withdraw it; another agency may publish only once the
/// holder has withdrawn or can no longer anchor the type (suspended, removed, accreditation
/// withdrawn or expired). The council may clear an entry. `serviceOf` reports whether the holder
/// can anchor the type now (`current`): a requester uses a service only while it is current.
interface IDataServiceDirectory is ISemver {
    /// @notice A published data service (agency zero = none).
    struct DataService {
        address agency;
        uint64 publishedAt;
        bool current;
        string url;
    }

    /// @notice Emitted when an agency publishes (or changes) the service of a type.
    event DataServicePublished(uint32 indexed typeId, address indexed agency, string url);
    /// @notice Emitted when a service is withdrawn by its agency or cleared by the council (`by`).
    event DataServiceWithdrawn(uint32 indexed typeId, address indexed agency, address indexed by);

    /// @notice The caller lacks the council role.
    error DataServiceDirectoryNotCouncil(address caller);
    /// @notice The caller may not anchor the type now (not Active or not accredited).
    error DataServiceDirectoryNotAccredited(address agency, uint32 typeId);
    /// @notice The URL is empty or longer than `maxLength` bytes.
    error DataServiceDirectoryInvalidUrl(uint256 length, uint256 maxLength);
    /// @notice Another agency, still accredited, holds the type's entry.
    error DataServiceDirectoryHeld(uint32 typeId, address holder);
    /// @notice The caller does not hold the type's entry (or there is none).
    error DataServiceDirectoryNotHolder(address caller, uint32 typeId, address holder);
    /// @notice No service is published for the type.
    error DataServiceDirectoryNoService(uint32 typeId);

    /// @notice Publish (or change) the caller's data service URL for `typeId`.
    function publish(uint32 typeId, string calldata url) external;
    /// @notice Withdraw the caller's data service for `typeId`.
    function withdraw(uint32 typeId) external;
    /// @notice Clear the data service of `typeId` (council only).
    function clearService(uint32 typeId) external;
    /// @notice The data service of `typeId` (agency zero = none).
    function serviceOf(uint32 typeId) external view returns (DataService memory);
    /// @notice The longest URL accepted, in bytes.
    function maxUrlLength() external pure returns (uint256);
}
