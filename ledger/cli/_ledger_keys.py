"""`ledger keys`: the acting agency's P-256 credential-signing keys.

The keys sit in keystore files beside the agency's account (same passphrase, see
`ledger.agency.keys`); on chain they live in the KeyRegistry. `current_kid` picks the key the
agency signs with: its local key that is registered and valid on chain now.
"""

from __future__ import annotations

import json

import click

from ledger.agency.keys import kid_bytes
from ledger.chain.client import KeyInfo, LedgerChain
from ledger.cli._common import KidArgumentCommand, emit, reports_errors
from ledger.cli._ledger_accounts import keyring
from ledger.cli._ledger_context import (
    TIMESTAMP,
    LedgerContext,
    format_time,
    pass_ledger,
    validity_options,
)
from ledger.errors import AgencyKeyNotFound, InputError
from ledger.sdjwt.jwk import SigningKey

__all__ = ["checked_kid", "current_kid", "keys"]




def _chain_now(chain: LedgerChain) -> int:
    block = chain.rpc.call("eth_getBlockByNumber", ["latest", False])
    return int(block["timestamp"], 16)


def _key_state(info: KeyInfo, agency: str, now: int) -> str:
    if info.agency is None:
        return "not registered"
    if info.agency.lower() != agency.lower():
        return f"registered to another agency ({info.agency})"
    if info.revoked_at:
        return f"revoked {format_time(info.revoked_at)}"
    if info.valid_from > now:
        return f"valid from {format_time(info.valid_from)}"
    if info.valid_until and info.valid_until <= now:
        return f"expired {format_time(info.valid_until)}"
    until = f" until {format_time(info.valid_until)}" if info.valid_until else ""
    return f"valid since {format_time(info.valid_from)}{until}"


def _is_valid(info: KeyInfo, agency: str, now: int) -> bool:
    return (
        info.agency is not None
        and info.agency.lower() == agency.lower()
        and not info.revoked_at
        and info.valid_from <= now
        and (info.valid_until == 0 or info.valid_until > now)
    )


def current_kid(ctx: LedgerContext, chain: LedgerChain) -> str:
    """The acting agency's local signing key that is registered and valid on chain now (the
    most recently started one if several); `AgencyKeyNotFound` if none."""
    name = ctx.acting()
    now = _chain_now(chain)
    best: tuple[int, str] | None = None
    for kid in keyring(ctx.home).signing_keys(name):
        info = chain.key(kid_bytes(kid))
        if _is_valid(info, chain.address, now) and (best is None or info.valid_from > best[0]):
            best = (info.valid_from, kid)
    if best is None:
        raise AgencyKeyNotFound(
            f"{name} has no signing key registered and valid now "
            "(see `ledger keys create` and `ledger keys register`)"
        )
    return best[1]


def checked_kid(ctx: LedgerContext, chain: LedgerChain, kid: str) -> str:
    """`kid` if it is the acting agency's key registered and valid on chain now;
    `AgencyKeyNotFound` saying its state otherwise (a revoked key must not sign)."""
    info = chain.key(kid_bytes(kid))
    now = _chain_now(chain)
    if not _is_valid(info, chain.address, now):
        raise AgencyKeyNotFound(
            f"signing key {kid} of {ctx.acting()} is not valid on chain now "
            f"({_key_state(info, chain.address, now)})"
        )
    return kid


@click.group()
def keys() -> None:
    """The acting agency's P-256 credential-signing keys (keystores beside its account)."""


@keys.command("create")
@pass_ledger
@reports_errors
def keys_create(ctx: LedgerContext) -> None:
    """Create a new signing key (encrypted under the account's passphrase); print its JWK."""
    name = ctx.acting()
    ctx.unlock(name)  # a wrong passphrase must fail here, not lock the new key under it
    ring = keyring(ctx.home)
    kid = ring.create_signing_key(name, ctx.passphrase(name))
    jwk = ring.public_jwk(name, kid)
    emit({"kid": kid, "jwk": jwk},
         f"Created signing key {kid} for {name}.\n{json.dumps(jwk, sort_keys=True)}\n"
         "Register it on chain with `ledger keys register`.",
         as_json=ctx.as_json)


def _default_kid(ctx: LedgerContext, chain: LedgerChain) -> str:
    """The agency's only local key not yet on chain."""
    name = ctx.acting()
    fresh = [
        kid for kid in keyring(ctx.home).signing_keys(name)
        if chain.key(kid_bytes(kid)).agency is None
    ]
    if len(fresh) != 1:
        raise InputError(
            f"{name} has {len(fresh)} signing keys not registered on chain: name the KID"
        )
    return fresh[0]


@keys.command("register", cls=KidArgumentCommand)
@click.argument("kid", required=False)
@validity_options
@pass_ledger
@reports_errors
def keys_register(ctx: LedgerContext, kid: str | None, valid_from: int, valid_until: int) -> None:
    """Register signing key KID on chain (default: the one local key not registered yet)."""
    chain = ctx.chain()
    kid = kid or _default_kid(ctx, chain)
    name = ctx.acting()
    receipt = keyring(ctx.home).register(
        chain, name, kid, ctx.passphrase(name), valid_from=valid_from, valid_until=valid_until
    )
    emit({"kid": kid, "tx": receipt.tx_hash, "block": receipt.block_number},
         f"Registered signing key {kid} (block {receipt.block_number}).", as_json=ctx.as_json)


@keys.command("rotate", cls=KidArgumentCommand)
@click.argument("old_kid", metavar="[OLD_KID]", required=False)
@click.option("--until", "valid_until", type=TIMESTAMP, default=0,
              help="End of validity of the new key (default open-ended).")
@pass_ledger
@reports_errors
def keys_rotate(ctx: LedgerContext, old_kid: str | None, valid_until: int) -> None:
    """Create a new signing key, and in one transaction register it and end OLD_KID now.

    OLD_KID defaults to the key currently valid on chain. Credentials anchored before the
    rotation stay valid.
    """
    name = ctx.acting()
    chain = ctx.chain()
    old = old_kid or current_kid(ctx, chain)
    # The new key is kept in hand to sign its proof of possession: unlocking the keystore just
    # written would run the KDF a second time.
    key = SigningKey.generate()
    new = keyring(ctx.home).import_signing_key(name, key, ctx.passphrase(name))
    receipt = chain.rotate_key(kid_bytes(old), key, valid_until=valid_until)
    emit({"old_kid": old, "kid": new, "tx": receipt.tx_hash, "block": receipt.block_number},
         f"Rotated {old} -> {new} (block {receipt.block_number}).", as_json=ctx.as_json)


@keys.command("revoke", cls=KidArgumentCommand)
@click.argument("kid")
@pass_ledger
@reports_errors
def keys_revoke(ctx: LedgerContext, kid: str) -> None:
    """Emergency revocation of signing key KID (e.g. stolen): credentials anchored after now
    are rejected, those anchored before stay valid."""
    receipt = keyring(ctx.home).revoke(ctx.chain(), kid)
    emit({"kid": kid, "tx": receipt.tx_hash, "block": receipt.block_number},
         f"Revoked signing key {kid} (block {receipt.block_number}).", as_json=ctx.as_json)


@keys.command("show", cls=KidArgumentCommand)
@click.argument("kid", required=False)
@pass_ledger
@reports_errors
def keys_show(ctx: LedgerContext, kid: str | None) -> None:
    """Print the public JWK of KID (default: every key of the acting agency). No chain needed."""
    name = ctx.acting()
    ring = keyring(ctx.home)
    ring.address(name)  # an unknown account is an error, not "no signing keys"
    kids = [kid] if kid else ring.signing_keys(name)
    jwks = {k: ring.public_jwk(name, k) for k in kids}
    if kid:
        emit(jwks[kid], json.dumps(jwks[kid], sort_keys=True), as_json=ctx.as_json)
        return
    human = "\n".join(f"{k}  {json.dumps(j, sort_keys=True)}" for k, j in jwks.items())
    emit(jwks, human or f"{name} has no signing keys.", as_json=ctx.as_json)


@keys.command("list")
@pass_ledger
@reports_errors
def keys_list(ctx: LedgerContext) -> None:
    """List the acting agency's signing keys with their state on chain."""
    name = ctx.acting()
    reader = ctx.reader()
    address = ctx.address(name)
    now = _chain_now(reader)
    rows = []
    for kid in keyring(ctx.home).signing_keys(name):
        info = reader.key(kid_bytes(kid))
        rows.append({"kid": kid, "registered": info.agency is not None,
                     "valid_now": _is_valid(info, address, now),
                     "valid_from": info.valid_from, "valid_until": info.valid_until,
                     "revoked_at": info.revoked_at, "state": _key_state(info, address, now)})
    human = "\n".join(f"{r['kid']}  {r['state']}" for r in rows)
    emit(rows, human or f"{name} has no signing keys.", as_json=ctx.as_json)
