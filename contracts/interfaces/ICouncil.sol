// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISemver} from "./ISemver.sol";

/// @title Council: M-of-N governance over the registries.
/// @notice A proposal is a call (target, calldata) to one of the wired registries or to the
/// council itself (members, threshold, lifetime). The proposer's `propose` is its vote; each
/// member votes once; the proposal executes in the vote that reaches the threshold.
/// If that call reverts, the vote still counts: {ProposalExecutionFailed} reports the inner
/// revert data and the proposal stays open. A proposal that has reached the threshold (a failed
/// call, or a threshold lowered since its last vote) can be executed by any member with
/// {execute} until it expires. A call that runs out of gas is not such a failure: the transaction
/// reverts with {CouncilExecutionOutOfGas}, so too little gas cannot mark a proposal failed.
/// Proposals expire `proposalLifetime` seconds after creation.
/// Only the votes of current members count, each from the seat it was cast from: removing a
/// member withdraws its votes from every open proposal for good (re-admitted, the same address
/// holds a new seat; its earlier votes stay void, and it may vote again).
/// A vote may also be relayed by anyone with the member's EIP-712 signature over
/// `Vote(uint256 proposalId,address member,uint256 nonce,uint256 deadline)` in the domain
/// ("LedgerCouncil", "1", chainId, this contract); each member's nonce is used once.
interface ICouncil is ISemver {
    /// @notice A proposal as stored.
    struct Proposal {
        address target;
        address proposer;
        uint64 createdAt;
        uint64 expiresAt;
        uint16 votes;
        bool executed;
        bool executable;
        uint64 failedBlock;
        bytes data;
    }

    /// @notice Emitted when a proposal is created (the proposer's vote follows as ProposalVoted).
    event ProposalCreated(
        uint256 indexed id, address indexed proposer, address indexed target, bytes data, uint64 expiresAt
    );
    /// @notice Emitted on every vote, with the votes of current members so far.
    event ProposalVoted(uint256 indexed id, address indexed member, uint16 votes);
    /// @notice Emitted when a proposal's call succeeded, with the votes it executed with.
    event ProposalExecuted(uint256 indexed id, address indexed target, uint16 votes);
    /// @notice Emitted when the call of a proposal that reached the threshold in a vote reverted
    /// with `reason`: the vote counts and the proposal stays open (see {execute}).
    event ProposalExecutionFailed(uint256 indexed id, bytes reason);
    /// @notice Emitted when a member is added.
    event MemberAdded(address indexed member);
    /// @notice Emitted when a member is removed.
    event MemberRemoved(address indexed member);
    /// @notice Emitted when the threshold changes.
    event ThresholdChanged(uint16 previous, uint16 threshold);
    /// @notice Emitted when the proposal lifetime changes.
    event ProposalLifetimeChanged(uint64 previous, uint64 lifetime);

    /// @notice `account` is not a member (the caller of a member-only function, or the member
    /// a proposal names).
    error CouncilNotMember(address account);
    /// @notice Only the council itself (through a proposal) may call this.
    error CouncilOnlySelf(address caller);
    /// @notice The member already voted on this proposal.
    error CouncilAlreadyVoted(uint256 id, address member);
    /// @notice The proposal expired.
    error CouncilProposalExpired(uint256 id, uint64 expiredAt);
    /// @notice The proposal already executed.
    error CouncilProposalAlreadyExecuted(uint256 id);
    /// @notice No such proposal.
    error CouncilUnknownProposal(uint256 id);
    /// @notice The target is not a wired registry nor the council.
    error CouncilTargetNotAllowed(address target);
    /// @notice The proposal's call reverted with `reason` (raised by {execute}; a vote reports it
    /// with {ProposalExecutionFailed} instead).
    error CouncilExecutionFailed(uint256 id, bytes reason);
    /// @notice The proposal has fewer votes of current members than the threshold.
    error CouncilThresholdNotReached(uint256 id, uint16 votes, uint16 threshold);
    /// @notice The proposal's call ran out of the `gas` it was given: send the transaction with
    /// more gas (nothing was recorded).
    error CouncilExecutionOutOfGas(uint256 id, uint256 gas);
    /// @notice Threshold must be 1..memberCount.
    error CouncilInvalidThreshold(uint256 threshold, uint256 memberCount);
    /// @notice The lifetime must be non-zero and at most 2**32 - 1 seconds.
    error CouncilInvalidLifetime(uint64 lifetime);
    /// @notice The address is already a member (or zero).
    error CouncilInvalidMember(address member);
    /// @notice The signed vote's deadline has passed.
    error CouncilSignatureExpired(uint256 deadline, uint256 timestamp);
    /// @notice The signature does not recover to the member (signer zero = malformed signature).
    error CouncilInvalidSignature(address member, address signer);

    /// @notice Create a proposal and cast the proposer's vote; returns its id (from 1).
    function propose(address target, bytes calldata data) external returns (uint256 id);
    /// @notice Vote for a proposal; executes it when the threshold is reached (a failing call
    /// leaves the vote counted and emits {ProposalExecutionFailed}).
    function vote(uint256 id) external;
    /// @notice Execute an open proposal that has the threshold of votes of current members
    /// (members only). Reverts with {CouncilThresholdNotReached} below it and with
    /// {CouncilExecutionFailed} if the call reverts (the proposal then stays open).
    function execute(uint256 id) external;
    /// @notice Cast `member`'s vote with its EIP-712 signature (relayed by anyone).
    function voteBySig(uint256 id, address member, uint256 deadline, bytes calldata signature) external;
    /// @notice The next vote-signature nonce of `member`.
    function voteNonce(address member) external view returns (uint256);
    /// @notice Add a member (council only, through a proposal).
    function addMember(address member) external;
    /// @notice Remove a member (council only); the threshold must stay reachable.
    function removeMember(address member) external;
    /// @notice Change the threshold (council only).
    function setThreshold(uint16 threshold) external;
    /// @notice Change the proposal lifetime in seconds, 1..2**32 - 1 (council only).
    function setProposalLifetime(uint64 lifetime) external;

    /// @notice A proposal (reverts for unknown ids); `votes` counts current members only, or, once
    /// executed, the votes it executed with; `executable`: open, unexpired and at the threshold
    /// now (whether its call would succeed is another matter); `failedBlock`: the block of its
    /// last failed execution in a vote ({ProposalExecutionFailed} there holds why), 0 if none.
    function proposalOf(uint256 id) external view returns (Proposal memory);
    /// @notice Whether `member` holds a vote on `id` that counts (cast from its current seat).
    function hasVoted(uint256 id, address member) external view returns (bool);
    /// @notice Current members.
    function members() external view returns (address[] memory);
    /// @notice Whether `account` is a member.
    function isMember(address account) external view returns (bool);
    /// @notice Votes needed to execute.
    function threshold() external view returns (uint16);
    /// @notice Seconds a proposal stays open.
    function proposalLifetime() external view returns (uint64);
    /// @notice Number of proposals created (the highest id).
    function proposalCount() external view returns (uint256);
    /// @notice Whether proposals may call `target`.
    function isAllowedTarget(address target) external view returns (bool);
}
