"""Operations behind the `ledger` commands that take more than one SDK call.

Each function does one operator task (deploy the suite and seat the council, fund accounts on
a devnet, run a council proposal) and returns a frozen result the command prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount

from ledger.chain.client import LedgerChain, ProposalOutcome
from ledger.chain.council import CouncilAction
from ledger.chain.deploy import DEFAULT_PROPOSAL_LIFETIME, Deployment, deploy_suite, is_live
from ledger.chain.devnet import anvil_dev_accounts
from ledger.chain.possession import require_p256_verify
from ledger.chain.rpc import Rpc
from ledger.chain.sender import TxRequest, TxSender
from ledger.cli._ledger_accounts import (
    create_account,
    find_account,
    keyring,
    read_account_passphrase,
)
from ledger.errors import AgencyKeyNotFound, ChainError, ConfigError, ContractRevert, RpcError
from ledger.network import save_network

__all__ = [
    "DEVNET_FUNDING",
    "CouncilSeat",
    "DeployResult",
    "ProposalReport",
    "fund_on_devnet",
    "is_devnet",
    "proposal_report",
    "propose",
    "run_deploy",
]

ETHER = 10**18
#: What a new account gets from anvil's dev accounts on a devnet.
DEVNET_FUNDING = 100 * ETHER
_FUNDER_INDEX = 0


def is_devnet(rpc: Rpc) -> bool:
    """Whether the node is an anvil devnet (its dev accounts are funded and public)."""
    try:
        version = str(rpc.call("web3_clientVersion", []))
    except RpcError:  # the node does not know the method; an unreachable node still raises
        return False
    return version.lower().startswith("anvil")


def fund_on_devnet(rpc: Rpc, addresses: Sequence[str], amount: int = DEVNET_FUNDING) -> list[str]:
    """Send `amount` wei to each of `addresses` from anvil dev account 0; returns tx hashes.

    `ConfigError` if the node is not an anvil devnet (its dev accounts are only known there).
    """
    if not is_devnet(rpc):
        raise ConfigError("funding from dev accounts works on an anvil devnet only")
    if not addresses:
        return []
    funder = anvil_dev_accounts(_FUNDER_INDEX + 1)[_FUNDER_INDEX]
    sender = TxSender(rpc, funder)
    requests = [TxRequest(to=address, value=amount, gas=21_000) for address in addresses]
    return [receipt.tx_hash for receipt in sender.send_many(requests)]


@dataclass(frozen=True)
class CouncilSeat:
    """A seat of the first council: the account name, its address, and what was done for it."""

    name: str
    address: str
    created: bool
    funded: bool


@dataclass(frozen=True)
class DeployResult:
    """A deployment made by `ledger deploy`, and where it was recorded."""

    deployment: Deployment
    council: tuple[CouncilSeat, ...]
    threshold: int
    record_path: Path
    rpc_url: str
    replaced_live: bool


def _seat(rpc: Rpc, home: Path, name: str, devnet: bool) -> tuple[CouncilSeat, bool]:
    """Find (or, on a devnet, create) the council account `name`; says whether to fund it."""
    try:
        entry = find_account(home, name)
        created = False
    except AgencyKeyNotFound:
        if not devnet:
            raise
        entry = create_account(home, name, read_account_passphrase(name, confirm=True))
        created = True
    needs_funds = devnet and rpc.get_balance(entry.address) < ETHER
    return CouncilSeat(entry.name, entry.address, created, needs_funds), needs_funds


def run_deploy(
    rpc: Rpc,
    home: Path,
    record_path: Path,
    *,
    council: Sequence[str],
    threshold: int | None,
    deployer: LocalAccount | None,
    force: bool,
    proposal_lifetime: int = DEFAULT_PROPOSAL_LIFETIME,
) -> DeployResult:
    """Deploy the suite, seat the first council and record the deployment in the ledger home.

    On an anvil devnet, council accounts missing from the ledger home are created (passphrase
    from the environment or a prompt) and every council account holding less than 1 ETH is
    funded from anvil's dev account 0, which also deploys unless `deployer` is given.
    Elsewhere every council account must exist and `deployer` is required. A record of a
    deployment that is still live on this chain is only replaced with `force`.
    """
    if not council:
        raise ConfigError("the council needs at least one member (--council NAME)")
    if len(set(council)) != len(council):
        raise ConfigError("a council member is named twice")
    for name in council:
        keyring(home).account_path(name)  # validates the name before anything is sent
    replaced = False
    if record_path.exists():
        try:
            previous: Deployment | None = Deployment.load(record_path)
        except ConfigError:
            previous = None
        if previous is not None and is_live(rpc, previous):
            if not force:
                raise ConfigError(
                    f"a live deployment is recorded in {record_path} (chain {previous.chain_id}, "
                    f"Council {previous.address('Council')}); pass --force to replace it"
                )
            replaced = True
    require_p256_verify(rpc)
    devnet = is_devnet(rpc)
    if deployer is None and not devnet:
        raise ConfigError("name the account that pays for the deployment (--deployer or --as)")
    seats = []
    to_fund = []
    for name in council:
        seat, fund = _seat(rpc, home, name, devnet)
        seats.append(seat)
        if fund:
            to_fund.append(seat.address)
    if to_fund:
        fund_on_devnet(rpc, to_fund)
    m = threshold if threshold is not None else len(council) // 2 + 1
    payer = deployer or anvil_dev_accounts(_FUNDER_INDEX + 1)[_FUNDER_INDEX]
    deployment = deploy_suite(
        rpc,
        payer,
        council_members=[seat.address for seat in seats],
        threshold=m,
        proposal_lifetime=proposal_lifetime,
    )
    deployment.save(record_path)
    save_network(home, rpc.url)
    return DeployResult(deployment, tuple(seats), m, record_path, rpc.url, replaced)


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
