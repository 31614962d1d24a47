"""Operations behind the `ledger council` commands that take more than one SDK call.

Each function runs one council step (propose, or describe a vote's outcome) and returns a frozen
result the command prints. Deploying and seating the council is `ledger.network_setup`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.chain.client import LedgerChain, ProposalOutcome
from ledger.chain.council import CouncilAction
from ledger.errors import ChainError, ContractRevert

__all__ = [
    "ProposalReport",
    "proposal_report",
    "propose",
]


@dataclass(frozen=True)
class ProposalReport:
    """Where a council proposal stands after a propose, vote or execute.

    `execution_error`: the vote reached the threshold but the proposal's call reverted (the
    vote stays, the proposal stays open for `ledger council execute`).
    """

    proposal_id: int
    description: str
    executed: bool
    votes: int
    threshold: int
    tx_hash: str
    execution_error: ChainError | None = field(default=None, compare=False)

    @property
    def missing(self) -> int:
        """Votes still needed (0 once executed)."""
        return 0 if self.executed else max(self.threshold - self.votes, 0)

    @property
    def failure(self) -> str | None:
        """Why the execution failed, in words (None if it did not fail)."""
        exc = self.execution_error
        if exc is None:
            return None
        return exc.explained() if isinstance(exc, ContractRevert) else str(exc)

    def to_json(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "proposal": self.proposal_id,
            "description": self.description,
            "executed": self.executed,
            "votes": self.votes,
            "threshold": self.threshold,
            "missing_votes": self.missing,
            "execution_failed": self.failure,
            "tx": self.tx_hash,
        }

    def render(self) -> str:
        """One line for humans."""
        head = f"Proposal {self.proposal_id}"
        if self.description:
            head += f" ({self.description})"
        if self.executed:
            return f"{head}: executed."
        if self.failure is not None:
            return (
                f"{head}: {self.votes} of {self.threshold} votes, but its execution failed: "
                f"{self.failure}. The votes stay and the proposal stays open: once the cause is "
                f"fixed, `ledger --as MEMBER council execute {self.proposal_id}`."
            )
        return (
            f"{head}: {self.votes} of {self.threshold} votes; needs {self.missing} more "
            f"(`ledger --as MEMBER council vote {self.proposal_id}`)."
        )


def proposal_report(
    chain: LedgerChain, outcome: ProposalOutcome, description: str = ""
) -> ProposalReport:
    """Describe `outcome` with the vote count and threshold read from the chain."""
    votes = outcome.votes
    if not outcome.executed:
        votes = chain.proposal(outcome.proposal_id).votes
    return ProposalReport(
        outcome.proposal_id,
        description,
        outcome.executed,
        votes,
        chain.council_threshold(),
        outcome.receipt.tx_hash,
        outcome.execution_error,
    )


def propose(chain: LedgerChain, action: CouncilAction) -> ProposalReport:
    """Propose `action` as `chain`'s account (its vote counts); report where it stands."""
    return proposal_report(chain, chain.propose(action), action.description)
