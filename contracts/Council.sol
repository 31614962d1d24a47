// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ICouncil} from "./interfaces/ICouncil.sol";

/// @title Council
/// @notice See {ICouncil}.
contract Council is ICouncil, EIP712, Nonces {
    using EnumerableSet for EnumerableSet.AddressSet;

    bytes32 private constant _VOTE_TYPEHASH =
        keccak256("Vote(uint256 proposalId,address member,uint256 nonce,uint256 deadline)");

    /// @dev Longest proposal lifetime (~136 years): `now + lifetime` then fits the uint40
    /// `expiresAt` for millennia. A longer one would wrap it into the past, every new proposal
    /// would be born expired, and a council with threshold > 1 could never vote again.
    uint64 private constant _MAX_LIFETIME = type(uint32).max;

    struct Record {
        address target;
        uint40 createdAt;
        uint40 expiresAt;
        uint16 votes;
        bool executed;
        address proposer;
        bytes data;
    }

    EnumerableSet.AddressSet private _members;
    uint16 private _threshold;
    uint64 private _lifetime;
    uint256 private _count;
    mapping(address target => bool allowed) private _targets;
    mapping(uint256 id => Record proposal) private _proposals;
    mapping(uint256 id => mapping(address member => bool voted)) private _voted;

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
        if (!_members.contains(msg.sender)) revert CouncilNotMember(msg.sender);
        _;
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert CouncilOnlySelf(msg.sender);
        _;
    }

    /// @inheritdoc ICouncil
    function version() external pure returns (string memory) {
        return "1.0.0";
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
        p.data = data;
        emit ProposalCreated(id, msg.sender, target, data, expiresAt);
        _vote(id, p, msg.sender);
    }

    /// @inheritdoc ICouncil
    function vote(uint256 id) external onlyMember {
        _castVote(id, msg.sender);
    }

    /// @inheritdoc ICouncil
    function voteBySig(uint256 id, address member, uint256 deadline, bytes calldata signature) external {
        if (block.timestamp > deadline) revert CouncilSignatureExpired(deadline, block.timestamp);
        if (!_members.contains(member)) revert CouncilNotMember(member);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(_VOTE_TYPEHASH, id, member, _useNonce(member), deadline)));
        (address signer,,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (signer != member) revert CouncilInvalidSignature(member, signer);
        _castVote(id, member);
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
        uint16 votes = p.executed ? p.votes : _tally(id);
        return Proposal(p.target, p.proposer, p.createdAt, p.expiresAt, votes, p.executed, p.data);
    }

    /// @inheritdoc ICouncil
    function hasVoted(uint256 id, address member) external view returns (bool) {
        return _voted[id][member];
    }

    /// @inheritdoc ICouncil
    function members() external view returns (address[] memory) {
        return _members.values();
    }

    /// @inheritdoc ICouncil
    function isMember(address account) external view returns (bool) {
        return _members.contains(account);
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
        Record storage p = _proposals[id];
        if (p.createdAt == 0) revert CouncilUnknownProposal(id);
        if (p.executed) revert CouncilProposalAlreadyExecuted(id);
        if (block.timestamp >= p.expiresAt) revert CouncilProposalExpired(id, p.expiresAt);
        if (_voted[id][member]) revert CouncilAlreadyVoted(id, member);
        _vote(id, p, member);
    }

    function _vote(uint256 id, Record storage p, address member) private {
        _voted[id][member] = true;
        uint16 votes = _tally(id);
        p.votes = votes;
        emit ProposalVoted(id, member, votes);
        if (votes >= _threshold) {
            p.executed = true;
            (bool ok, bytes memory reason) = p.target.call(p.data);
            if (!ok) revert CouncilExecutionFailed(id, reason);
            emit ProposalExecuted(id, p.target);
        }
    }

    /// @dev The votes of the current members: a removed member's votes stop counting (a council
    /// removes a member whose key it no longer trusts, and with it every vote cast with that key).
    function _tally(uint256 id) private view returns (uint16 votes) {
        mapping(address member => bool voted) storage voted = _voted[id];
        uint256 n = _members.length();
        for (uint256 i = 0; i < n; ++i) {
            if (voted[_members.at(i)]) ++votes;
        }
    }

    function _addMember(address member) private {
        if (member == address(0) || !_members.add(member)) revert CouncilInvalidMember(member);
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
