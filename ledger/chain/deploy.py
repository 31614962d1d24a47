"""Deploy and wire the contract suite; the `Deployment` record the SDK and CLIs load.

Wiring needs no transactions after deployment: every contract takes the addresses it depends on
as constructor arguments, predicted from the deployer's nonces (CREATE addresses), so all ten
creations are signed up front and sent pipelined. The Council gets the council and admin roles
in every registry's constructor; the deployer holds no role at any point.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rlp  # type: ignore[import-untyped]
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from ledger import untrusted_json
from ledger._atomic import write_atomic
from ledger._keccak import keccak256
from ledger.chain.abi import ContractAbi, ErrorDecoder, combined_error_decoder, load_artifact
from ledger.chain.rpc import Rpc
from ledger.chain.sender import TxRequest, TxSender
from ledger.errors import ConfigError

__all__ = [
    "DEFAULT_PROPOSAL_LIFETIME",
    "SUITE",
    "Deployment",
    "contract_abi",
    "deploy_suite",
    "is_live",
    "predict_address",
    "suite_error_decoder",
]

#: The deployed contracts, in deployment (nonce) order.
SUITE: tuple[str, ...] = (
    "Council",
    "TrustRegistry",
    "CredentialTypeRegistry",
    "KeyRegistry",
    "VerifierRegistry",
    "AnchorRegistry",
    "StatusRegistry",
    "LedgerLens",
    "ReceiptRegistry",
    "DataServiceDirectory",
)

#: Default proposal lifetime: seven days.
DEFAULT_PROPOSAL_LIFETIME = 7 * 24 * 3600

_FORMAT = 1


def predict_address(deployer: str, nonce: int) -> str:
    """The address a CREATE from `deployer` at `nonce` will get."""
    encoded = rlp.encode([bytes.fromhex(deployer[2:]), nonce])
    return to_checksum_address(keccak256(encoded)[12:])


@functools.cache
def artifact_digest(name: str) -> str:
    """sha256 of a contract's creation bytecode as committed (identifies the artifact); cached,
    as `load_artifact` is."""
    return "0x" + hashlib.sha256(load_artifact(name).bytecode).hexdigest()


@dataclass(frozen=True)
class Deployment:
    """Where the suite lives on one chain, and what was deployed there."""

    chain_id: int
    addresses: Mapping[str, str]
    block_number: int
    deployed_at: int
    deployer: str
    source_digest: str
    artifact_digests: Mapping[str, str] = field(default_factory=dict)

    def address(self, name: str) -> str:
        """Address of contract `name`; `ConfigError` if the record lacks it."""
        try:
            return self.addresses[name]
        except KeyError as exc:
            raise ConfigError(f"deployment has no {name} address") from exc

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-ready dict."""
        return {
            "format": _FORMAT,
            "chainId": self.chain_id,
            "addresses": dict(self.addresses),
            "blockNumber": self.block_number,
            "deployedAt": self.deployed_at,
            "deployer": self.deployer,
            "sourceDigest": self.source_digest,
            "artifactDigests": dict(self.artifact_digests),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Deployment:
        """Parse a record written by `to_json`; `ConfigError` if malformed."""
        try:
            addresses = {str(k): to_checksum_address(v) for k, v in raw["addresses"].items()}
            missing = [name for name in SUITE if name not in addresses]
            if missing:
                raise ConfigError(f"deployment record lacks addresses of {', '.join(missing)}")
            return cls(
                chain_id=int(raw["chainId"]),
                addresses=addresses,
                block_number=int(raw["blockNumber"]),
                deployed_at=int(raw["deployedAt"]),
                deployer=to_checksum_address(raw["deployer"]),
                source_digest=str(raw["sourceDigest"]),
                artifact_digests={str(k): str(v) for k, v in raw["artifactDigests"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"malformed deployment record: {exc}") from exc

    def outdated_contracts(self) -> tuple[str, ...]:
        """The suite's contracts deployed from other bytecode than this version's artifacts: a
        call with this version's ABI may revert there without a reason (redeploy)."""
        return tuple(
            name for name in SUITE if self.artifact_digests.get(name) != artifact_digest(name)
        )

    def is_live(self, rpc: Rpc) -> bool:
        """Whether this deployment exists on the chain behind `rpc` (see `is_live`)."""
        return is_live(rpc, self)

    def save(self, path: Path) -> None:
        """Write the record as JSON (sorted keys), atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> Deployment:
        """Read a record; `ConfigError` if missing or malformed."""
        try:
            raw = untrusted_json.load_file(path)
        except FileNotFoundError as exc:
            raise ConfigError(f"no deployment record at {path} (run `ledger deploy`)") from exc
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read deployment record {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"deployment record {path} is not a JSON object")
        return cls.from_json(raw)


def is_live(rpc: Rpc, deployment: Deployment) -> bool:
    """Whether the chain behind `rpc` is the deployment's chain and has code at every address."""
    if rpc.chain_id != deployment.chain_id:
        return False
    calls = [("eth_getCode", [deployment.address(name), "latest"]) for name in SUITE]
    return all(code not in (None, "0x", "") for code in rpc.batch(calls))


def _init_code(name: str, args: Sequence[Any]) -> bytes:
    artifact = load_artifact(name)
    return artifact.bytecode + ContractAbi(artifact.abi).encode_constructor(args)


def deploy_suite(
    rpc: Rpc,
    deployer: LocalAccount,
    *,
    council_members: Sequence[str],
    threshold: int,
    proposal_lifetime: int = DEFAULT_PROPOSAL_LIFETIME,
) -> Deployment:
    """Deploy and wire the suite in one pipelined burst; returns the deployment record.

    Raises the decoded `Council*` error (e.g. `CouncilInvalidThreshold`) if the council
    parameters are rejected.
    """
    sender = TxSender(rpc, deployer, decoder=suite_error_decoder())
    sender.resync_nonce()
    start = sender.next_nonce()
    at = {name: predict_address(deployer.address, start + i) for i, name in enumerate(SUITE)}
    members = [to_checksum_address(m) for m in council_members]
    council_targets = [
        at["TrustRegistry"],
        at["CredentialTypeRegistry"],
        at["KeyRegistry"],
        at["VerifierRegistry"],
        at["DataServiceDirectory"],
    ]
    args: dict[str, list[Any]] = {
        "Council": [members, threshold, proposal_lifetime, council_targets],
        "TrustRegistry": [at["Council"], at["CredentialTypeRegistry"]],
        "CredentialTypeRegistry": [at["Council"], at["TrustRegistry"]],
        "KeyRegistry": [at["Council"], at["TrustRegistry"]],
        "VerifierRegistry": [at["Council"], at["TrustRegistry"], at["CredentialTypeRegistry"]],
        "AnchorRegistry": [at["TrustRegistry"]],
        "StatusRegistry": [at["TrustRegistry"]],
        "LedgerLens": [
            at["TrustRegistry"],
            at["CredentialTypeRegistry"],
            at["KeyRegistry"],
            at["VerifierRegistry"],
            at["AnchorRegistry"],
            at["StatusRegistry"],
        ],
        "ReceiptRegistry": [at["TrustRegistry"]],
        "DataServiceDirectory": [at["Council"], at["TrustRegistry"]],
    }
    # Constructors make no external calls, so every estimate is valid before any is mined.
    txs = [TxRequest(to=None, data=_init_code(name, args[name])) for name in SUITE]
    receipts = sender.send_many(txs)
    for name, receipt in zip(SUITE, receipts, strict=True):
        if receipt.contract_address != at[name]:
            raise ConfigError(
                f"{name} landed at {receipt.contract_address}, expected {at[name]} "
                "(was another transaction sent from the deployer meanwhile?)"
            )
    last = receipts[-1].block_number
    block = rpc.call("eth_getBlockByNumber", [hex(last), False])
    deployed_at = int(block["timestamp"], 16) if block else int(time.time())
    return Deployment(
        chain_id=rpc.chain_id,
        addresses=at,
        block_number=last,
        deployed_at=deployed_at,
        deployer=deployer.address,
        source_digest=load_artifact("Council").source_digest,
        artifact_digests={name: artifact_digest(name) for name in SUITE},
    )


@functools.cache
def contract_abi(name: str) -> ContractAbi:
    """The (cached) ABI codec of a suite contract."""
    return ContractAbi(load_artifact(name).abi)


@functools.cache
def suite_error_decoder() -> ErrorDecoder:
    """One revert decoder over every suite contract's custom errors."""
    return combined_error_decoder(contract_abi(name) for name in SUITE)
