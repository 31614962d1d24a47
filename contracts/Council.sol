// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ICouncil} from "./interfaces/ICouncil.sol";
import {Semver} from "./common/Semver.sol";

/// @title Council
/// @notice See {ICouncil}.
contract Council is ICouncil, EIP712, Nonces, Semver(1, 2, 0) {
    using EnumerableSet for EnumerableSet.AddressSet;

    bytes32 private constant _VOTE_TYPEHASH =
        keccak256("Vote(uint256 proposalId,address member,uint256 nonce,uint256 deadline)");

    /// @dev Longest proposal lifetime (~136 years): `now + lifetime` then fits the uint40
    /// `expiresAt` for millennia. A longer one would wrap it into the past, every new proposal
    /// would be born expired, and a council with threshold > 1 could never vote again.
    uint64 private constant _MAX_LIFETIME = type(uint32).max;

    /// @dev Two slots besides `data`: (target, createdAt, expiresAt, votes) and (executed,
    /// proposer, epoch, failedBlock). `votes` is the tally of current members as of membership
    /// epoch `epoch`; while no member joins or leaves, a vote adds one to it instead of
    /// recounting. Once executed, `votes` is the tally it executed with.
    struct Record {
        address target;
        uint40 createdAt;
        uint40 expiresAt;
        uint16 votes;
        bool executed;
        address proposer;
        uint32 epoch;
        uint40 failedBlock;
        bytes data;
    }

    /// @dev Membership is the set (enumeration, tally) plus `_seats`: a member's seat is the
    /// epoch of its admission (0 = not a member). A vote is stored as the seat it was cast
    /// from and counts only while that seat is held: removal ends the seat, and re-admission
    /// gives a new one, so votes cast before a removal never count again.
    EnumerableSet.AddressSet private _members;
    uint16 private _threshold;
    uint64 private _lifetime;
    uint32 private _epoch; // bumped by every admission and removal; shares a slot with the two above
    uint256 private _count;
    mapping(address member => uint32 seat) private _seats;
    mapping(address target => bool allowed) private _targets;
    mapping(uint256 id => Record proposal) private _proposals;
    mapping(uint256 id => mapping(address member => uint32 seat)) private _ballots;

    /// @param initialMembers the first members
    /// @param initialThreshold votes needed (1..members)
    /// @param lifetime seconds a proposal stays open
    /// @param registries the contracts proposals may call (the council itself is always allowed)
    constructor(address[] memory initialMembers, uint16 initialThreshold, uint64 lifetime, address[] memory registries)
        EIP712("LedgerCouncil", "1")
    {
        for (uint256 i = 0; i < initialMembers.length; ++i) {
            _addMember(initialMembers[i]);
        }
        _setThreshold(initialThreshold);
        _setLifetime(lifetime);
        _targets[address(this)] = true;
        for (uint256 i = 0; i < registries.length; ++i) {
            _targets[registries[i]] = true;
        }
    }

    modifier onlyMember() {
        if (_seats[msg.sender] == 0) revert CouncilNotMember(msg.sender);
        _;
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert CouncilOnlySelf(msg.sender);
        _;
    }

    /// @inheritdoc ICouncil
    function propose(address target, bytes calldata data) external onlyMember returns (uint256 id) {
        if (!_targets[target]) revert CouncilTargetNotAllowed(target);
        id = ++_count;
        uint40 expiresAt = uint40(block.timestamp + _lifetime);
        Record storage p = _proposals[id];
        p.target = target;
        p.createdAt = uint40(block.timestamp);
        p.expiresAt = expiresAt;
        p.proposer = msg.sender;
        p.epoch = _epoch;
        p.data = data;
        emit ProposalCreated(id, msg.sender, target, data, expiresAt);
        _vote(id, p, msg.sender, _seats[msg.sender]);
    }

    /// @inheritdoc ICouncil
    function vote(uint256 id) external onlyMember {
        _castVote(id, msg.sender);
    }

    /// @inheritdoc ICouncil
    function voteBySig(uint256 id, address member, uint256 deadline, bytes calldata signature) external {
        if (block.timestamp > deadline) revert CouncilSignatureExpired(deadline, block.timestamp);
        if (_seats[member] == 0) revert CouncilNotMember(member);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(_VOTE_TYPEHASH, id, member, _useNonce(member), deadline)));
        (address signer,,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (signer != member) revert CouncilInvalidSignature(member, signer);
        _castVote(id, member);
    }

    /// @inheritdoc ICouncil
    function execute(uint256 id) external onlyMember {
        Record storage p = _open(id);
        uint16 votes = _votesOf(id, p);
        uint16 needed = _threshold;
        if (votes < needed) revert CouncilThresholdNotReached(id, votes, needed);
        p.votes = votes;
        p.epoch = _epoch;
        (bool ok, bytes memory reason) = _execute(id, p);
        if (!ok) revert CouncilExecutionFailed(id, reason);
        emit ProposalExecuted(id, p.target, votes);
    }

    /// @inheritdoc ICouncil
    function voteNonce(address member) external view returns (uint256) {
        return nonces(member);
    }

    /// @inheritdoc ICouncil
    function addMember(address member) external onlySelf {
        _addMember(member);
    }

    /// @inheritdoc ICouncil
    function removeMember(address member) external onlySelf {
        if (!_members.remove(member)) revert CouncilNotMember(member);
        delete _seats[member];
        ++_epoch;
        if (_threshold > _members.length()) revert CouncilInvalidThreshold(_threshold, _members.length());
        emit MemberRemoved(member);
    }

    /// @inheritdoc ICouncil
    function setThreshold(uint16 newThreshold) external onlySelf {
        _setThreshold(newThreshold);
    }

    /// @inheritdoc ICouncil
    function setProposalLifetime(uint64 lifetime) external onlySelf {
        _setLifetime(lifetime);
    }

    /// @inheritdoc ICouncil
    function proposalOf(uint256 id) external view returns (Proposal memory) {
        Record storage p = _proposals[id];
        if (p.createdAt == 0) revert CouncilUnknownProposal(id);
        uint16 votes = p.executed ? p.votes : _votesOf(id, p);
        bool executable = !p.executed && block.timestamp < p.expiresAt && votes >= _threshold;
        return Proposal(
            p.target, p.proposer, p.createdAt, p.expiresAt, votes, p.executed, executable, p.failedBlock, p.data
        );
    }

    /// @inheritdoc ICouncil
    function hasVoted(uint256 id, address member) external view returns (bool) {
        uint32 seat = _seats[member];
        return seat != 0 && _ballots[id][member] == seat;
    }

    /// @inheritdoc ICouncil
    function members() external view returns (address[] memory) {
        return _members.values();
    }

    /// @inheritdoc ICouncil
    function isMember(address account) external view returns (bool) {
        return _seats[account] != 0;
    }

    /// @inheritdoc ICouncil
    function threshold() external view returns (uint16) {
        return _threshold;
    }

    /// @inheritdoc ICouncil
    function proposalLifetime() external view returns (uint64) {
        return _lifetime;
    }

    /// @inheritdoc ICouncil
    function proposalCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc ICouncil
    function isAllowedTarget(address target) external view returns (bool) {
        return _targets[target];
    }

    function _castVote(uint256 id, address member) private {
        Record storage p = _open(id);
        uint32 seat = _seats[member];
        if (_ballots[id][member] == seat) revert CouncilAlreadyVoted(id, member);
        _vote(id, p, member, seat);
    }

    /// @dev The proposal `id`, which must exist, be unexecuted and unexpired.
    function _open(uint256 id) private view returns (Record storage p) {
        p = _proposals[id];
        if (p.createdAt == 0) revert CouncilUnknownProposal(id);
        if (p.executed) revert CouncilProposalAlreadyExecuted(id);
        if (block.timestamp >= p.expiresAt) revert CouncilProposalExpired(id, p.expiresAt);
    }

    /// @dev Record `member`'s vote from `seat`; execute at the threshold. A failing call does not
    /// undo the vote: it is reported with {ProposalExecutionFailed} and the proposal stays open.
    function _vote(uint256 id, Record storage p, address member, uint32 seat) private {
        _ballots[id][member] = seat;
        uint32 epoch = _epoch;
        uint16 votes;
        if (p.epoch == epoch) {
            votes = p.votes + 1; // same members as at the last count: one new vote
        } else {
            votes = _tally(id); // members changed since: recount (includes this vote)
            p.epoch = epoch;
        }
        p.votes = votes;
        emit ProposalVoted(id, member, votes);
        if (votes < _threshold) return;
        (bool ok, bytes memory reason) = _execute(id, p);
        if (ok) {
            emit ProposalExecuted(id, p.target, votes);
        } else {
            p.failedBlock = uint40(block.number);
            emit ProposalExecutionFailed(id, reason);
        }
    }

    /// @dev Make the proposal's call. `executed` is set first so the call cannot re-enter a vote
    /// or an execution of this proposal, and cleared again if the call fails. A call that ran out
    /// of gas leaves this frame at most 1/64 of what it had (EIP-150): then the sender gave too
    /// little gas, which says nothing about the proposal, so the whole transaction reverts, as it
    /// must for gas estimation to find the gas the call needs.
    function _execute(uint256 id, Record storage p) private returns (bool ok, bytes memory reason) {
        p.executed = true;
        uint256 budget = gasleft();
        (ok, reason) = p.target.call(p.data);
        if (!ok) {
            if (gasleft() <= budget / 64) revert CouncilExecutionOutOfGas(id, budget);
            p.executed = false;
        }
    }

    /// @dev The votes of current members: the stored count if no member joined or left since it
    /// was taken, else a recount.
    function _votesOf(uint256 id, Record storage p) private view returns (uint16) {
        return p.epoch == _epoch ? p.votes : _tally(id);
    }

    /// @dev Count the members whose ballot on `id` was cast from the seat they hold now. A removed
    /// member is not in the set; a re-admitted one holds a new seat, so its old ballot is void.
    function _tally(uint256 id) private view returns (uint16 votes) {
        mapping(address member => uint32 seat) storage ballots = _ballots[id];
        uint256 n = _members.length();
        for (uint256 i = 0; i < n; ++i) {
            address member = _members.at(i);
            uint32 ballot = ballots[member];
            if (ballot != 0 && ballot == _seats[member]) ++votes;
        }
    }

    function _addMember(address member) private {
        if (member == address(0) || !_members.add(member)) revert CouncilInvalidMember(member);
        _seats[member] = ++_epoch;
        emit MemberAdded(member);
    }

    function _setThreshold(uint16 newThreshold) private {
        uint256 n = _members.length();
        if (newThreshold == 0 || newThreshold > n) revert CouncilInvalidThreshold(newThreshold, n);
        uint16 previous = _threshold;
        _threshold = newThreshold;
        emit ThresholdChanged(previous, newThreshold);
    }

    function _setLifetime(uint64 lifetime) private {
        if (lifetime == 0 || lifetime > _MAX_LIFETIME) revert CouncilInvalidLifetime(lifetime);
        uint64 previous = _lifetime;
        _lifetime = lifetime;
        emit ProposalLifetimeChanged(previous, lifetime);
    }
}
