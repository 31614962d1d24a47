"""Setting up a network: deploy the suite, seat the first council, fund accounts on a devnet.

`deploy_network` is what `ledger deploy` does, as one SDK call: deploy and wire the contract
suite (`ledger.chain.deploy`), seat the first council from accounts of the ledger home's
keyring, and record the deployment and the RPC endpoint in the ledger home
(`ledger.network`). On an anvil devnet, whose dev accounts are funded and public, council
accounts missing from the keyring are created and underfunded ones funded; only then is a
passphrase needed, and it comes from the caller (`new_passphrase`: the CLI reads it from the
environment or a prompt), so this module never asks anyone for anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from ledger.agency.keys import AgencyKeyring
from ledger.chain.deploy import DEFAULT_PROPOSAL_LIFETIME, Deployment, deploy_suite, is_live
from ledger.chain.devnet import anvil_dev_accounts
from ledger.chain.possession import require_p256_verify
from ledger.chain.rpc import Rpc
from ledger.chain.sender import TxRequest, TxSender
from ledger.errors import AgencyKeyNotFound, ConfigError, RpcError
from ledger.network import save_network

__all__ = [
    "DEVNET_FUNDING",
    "ETHER",
    "CouncilSeat",
    "DeployResult",
    "NewPassphrase",
    "deploy_network",
    "fund_on_devnet",
    "is_devnet",
    "seat_council",
]

ETHER = 10**18
#: What a new account gets from anvil's dev accounts on a devnet.
DEVNET_FUNDING = 100 * ETHER
_FUNDER_INDEX = 0

#: The passphrase for a council member's new account, given its name (asked only when the
#: account is created, on a devnet).
NewPassphrase = Callable[[str], str]


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
    """A deployment made by `deploy_network`, and where it was recorded."""

    deployment: Deployment
    council: tuple[CouncilSeat, ...]
    threshold: int
    record_path: Path
    rpc_url: str
    replaced_live: bool


def _seat(
    rpc: Rpc, keyring: AgencyKeyring, name: str, devnet: bool, new_passphrase: NewPassphrase
) -> CouncilSeat:
    """Find (or, on a devnet, create) the council account `name`; `funded`: it needs funds."""
    try:
        address = keyring.address(name)
        created = False
    except AgencyKeyNotFound:
        if not devnet:
            raise
        address = keyring.create_account(name, new_passphrase(name))
        created = True
    needs_funds = devnet and rpc.get_balance(address) < ETHER
    return CouncilSeat(name, address, created, needs_funds)


def seat_council(
    rpc: Rpc,
    keyring: AgencyKeyring,
    names: Sequence[str],
    *,
    devnet: bool,
    new_passphrase: NewPassphrase,
) -> tuple[CouncilSeat, ...]:
    """The council accounts `names` of `keyring`, in order. With `devnet`, missing ones are
    created (`new_passphrase`) and every one holding less than 1 ETH is funded from anvil's dev
    account 0; elsewhere a missing account is `AgencyKeyNotFound`."""
    seats = tuple(_seat(rpc, keyring, name, devnet, new_passphrase) for name in names)
    to_fund = [seat.address for seat in seats if seat.funded]
    if to_fund:
        fund_on_devnet(rpc, to_fund)
    return seats


def _replaces_live(rpc: Rpc, record_path: Path, force: bool) -> bool:
    """Whether `record_path` records a deployment live on this chain (refused without
    `force`)."""
    if not record_path.exists():
        return False
    try:
        previous = Deployment.load(record_path)
    except ConfigError:
        return False
    if not is_live(rpc, previous):
        return False
    if not force:
        raise ConfigError(
            f"a live deployment is recorded in {record_path} (chain {previous.chain_id}, "
            f"Council {previous.address('Council')}); pass --force to replace it"
        )
    return True


def deploy_network(
    rpc: Rpc,
    keyring: AgencyKeyring,
    home: Path,
    record_path: Path,
    *,
    council: Sequence[str],
    threshold: int | None,
    deployer: LocalAccount | None,
    force: bool,
    new_passphrase: NewPassphrase,
    proposal_lifetime: int = DEFAULT_PROPOSAL_LIFETIME,
) -> DeployResult:
    """Deploy the suite, seat the first council and record the deployment in the ledger home.

    `council` names accounts of `keyring`; `threshold` defaults to a majority. On an anvil
    devnet, council accounts missing from the keyring are created (`new_passphrase`) and every
    council account holding less than 1 ETH is funded from anvil's dev account 0, which also
    deploys unless `deployer` is given. Elsewhere every council account must exist and
    `deployer` is required. A record of a deployment that is still live on this chain is only
    replaced with `force`.
    """
    if not council:
        raise ConfigError("the council needs at least one member (--council NAME)")
    if len(set(council)) != len(council):
        raise ConfigError("a council member is named twice")
    for name in council:
        keyring.account_path(name)  # validates the name before anything is sent
    replaced = _replaces_live(rpc, record_path, force)
    require_p256_verify(rpc)
    devnet = is_devnet(rpc)
    if deployer is None and not devnet:
        raise ConfigError("name the account that pays for the deployment (--deployer or --as)")
    seats = seat_council(rpc, keyring, council, devnet=devnet, new_passphrase=new_passphrase)
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
    return DeployResult(deployment, seats, m, record_path, rpc.url, replaced)
