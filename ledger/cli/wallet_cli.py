"""`wallet`: the citizen's command line: hold credentials, decide what to show to whom.

Thin over `ledger.wallet.Wallet`. Passphrases come from WALLET_PASSPHRASE /
WALLET_BACKUP_PASSPHRASE or a prompt, never from argv. The chain is found like the `ledger` CLI
finds it (`--rpc`, `--ledger-home`, see `ledger.network`). Everything chain-related is imported
inside the commands that need it: `wallet list` must start cold in a few tenths of a second.

Longer than the house's ~400 lines: one click group of thin commands; the shared context is in
`_wallet_context`, the once-only commands in `_wallet_exchange`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ledger._atomic import write_atomic
from ledger.cli._common import (
    adopt_work_factors,
    emit,
    read_secret,
    reports_errors,
    work_factors,
)
from ledger.cli._wallet_context import WalletContext, check_writable, format_date, pass_wallet
from ledger.cli._wallet_exchange import access_log, consent
from ledger.wallet import (
    DEFAULT_KDF,
    KdfParams,
    Wallet,
    WalletStore,
)

if TYPE_CHECKING:
    pass

BACKUP_PASSPHRASE_ENV = "WALLET_BACKUP_PASSPHRASE"


def _kdf() -> KdfParams:
    """Argon2id cost of new stores and backups: the default, unless a test passed less
    (`ledger.cli._common.WorkFactors`)."""
    return work_factors().wallet or DEFAULT_KDF




def _expiry(exp: int | None) -> str:
    """The expiry date, marked when it has passed (the ledger may still say `valid`)."""
    return format_date(exp) + (" (expired)" if exp is not None and exp <= time.time() else "")


def _claim_lines(name: str, value: Any, depth: int) -> list[str]:
    """A claim as indented lines: an object's members one per line under its name."""
    pad = "  " * depth
    if isinstance(value, dict) and value:
        nested = (_claim_lines(str(k), v, depth + 1) for k, v in value.items())
        return [f"{pad}{name}:", *(line for lines in nested for line in lines)]
    return [f"{pad}{name}: {_value(value)}"]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="WALLET_HOME",
    help="Wallet home directory (default: $WALLET_HOME or ~/.ledger-wallet).",
)
@click.option(
    "--rpc",
    "rpc_url",
    help="JSON-RPC URL of the ledger (default: $LEDGER_RPC, else the one the ledger home names).",
)
@click.option(
    "--ledger-home",
    type=click.Path(path_type=Path, file_okay=False),
    help="Ledger home holding the deployment record (default: $LEDGER_HOME or ~/.ledger).",
)
@click.option(
    "--rpc-timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    envvar="LEDGER_RPC_TIMEOUT",
    help="Give up on a ledger node that does not answer within SECONDS (default 5; "
    "env LEDGER_RPC_TIMEOUT).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def cli(
    ctx: click.Context,
    home: Path | None,
    rpc_url: str | None,
    ledger_home: Path | None,
    rpc_timeout: float | None,
    as_json: bool,
) -> None:
    """Your identity wallet: hold credentials, decide what to show to whom.

    The passphrase is read from WALLET_PASSPHRASE or prompted for; never pass it as an option.
    """
    adopt_work_factors(ctx)
    ctx.obj = WalletContext(
        home=home,
        rpc_url=rpc_url,
        ledger_home=ledger_home,
        as_json=as_json,
        rpc_timeout=rpc_timeout,
    )


@cli.command()
@pass_wallet
@reports_errors
def init(w: WalletContext) -> None:
    """Create a new wallet: an encrypted store and a holder key."""
    with Wallet.init(w.home, w.passphrase(confirm=True), kdf_params=_kdf()) as wallet:
        kid = wallet.holder_key().kid
    emit(
        {"home": str(w.home), "holder_kid": kid},
        f"Created wallet in {w.home}\nHolder key: {kid}",
        as_json=w.as_json,
    )


@cli.command("holder-key")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the public JWK to this file instead of printing it.",
)
@pass_wallet
@reports_errors
def holder_key(w: WalletContext, out: Path | None) -> None:
    """Export the holder's PUBLIC key (JWK) for an issuer to bind credentials to (`cnf`).

    Give it to the issuer (`ledger issue --holder-jwk FILE`); the private key never leaves the
    wallet.
    """
    import json

    from ledger.errors import InputError

    with w.wallet() as wallet:
        key = wallet.holder_key()
        kid, jwk = key.kid, key.public_jwk
    text = json.dumps(jwk, sort_keys=True)
    if out is not None:
        try:
            write_atomic(out, text + "\n")
        except OSError as exc:
            raise InputError(f"{out}: cannot write ({exc.strerror or exc})") from exc
    human = text if out is None else f"Wrote the public holder key {kid} to {out}"
    emit(
        {"kid": kid, "jwk": jwk, "out": None if out is None else str(out)},
        human,
        as_json=w.as_json,
    )


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_wallet
@reports_errors
def import_(w: WalletContext, file: Path) -> None:
    """Verify a credential file from an issuer against the ledger, then store it."""
    from ledger import untrusted_json
    from ledger.agency.packages import CredentialPackage
    from ledger.errors import InputError, JsonRejected, JsonTooLarge, NotJson

    limit = untrusted_json.DEFAULT_MAX_BYTES
    try:
        with file.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror or exc})") from exc
    if len(raw) > limit:
        raise JsonTooLarge(
            f"{file}: not a credential file (more than the limit of {limit:,} bytes)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not a credential file (not UTF-8 text)") from exc
    try:
        package = CredentialPackage.from_json(text)
    except JsonRejected as exc:  # the parser's own reason is the cause
        why = "not JSON" if isinstance(exc, NotJson) else str(exc.__cause__ or exc)
        raise type(exc)(f"{file}: not a credential file ({why})") from exc
    except InputError as exc:
        raise InputError(f"{file}: not a credential file ({exc})") from exc
    chain = w.chain()
    with w.wallet() as wallet:
        stored = wallet.import_credential(package, chain=chain)
    meta = stored.metadata
    emit(
        {"id": stored.cred_id, **meta},
        f"Imported credential {stored.cred_id}: {meta['vct']}\n"
        f"Issued by {meta['issuer_name']} ({meta['issuer_address']}) on {format_date(meta['iat'])}",
        as_json=w.as_json,
    )


@cli.command("list")
@pass_wallet
@reports_errors
def list_(w: WalletContext) -> None:
    """List the credentials in the wallet (no network needed)."""
    with w.wallet() as wallet:
        creds = wallet.list()
    rows: list[dict[str, Any]] = [
        {
            "id": c.cred_id,
            "vct": c.metadata.get("vct"),
            "issuer": c.metadata.get("issuer_address"),
            "issuer_name": c.metadata.get("issuer_name"),
            "iat": c.metadata.get("iat"),
            "exp": c.metadata.get("exp"),
        }
        for c in creds
    ]
    lines = [
        f"{r['id']}  {r['vct']}  from {r['issuer_name']}  issued {format_date(r['iat'])}"
        f"  expires {_expiry(r['exp'])}"
        for r in rows
    ]
    emit(rows, "\n".join(lines) if lines else "No credentials.", as_json=w.as_json)


@cli.command()
@click.argument("cred_id", metavar="ID")
@click.option("--offline", is_flag=True, help="Do not ask the ledger for the current status.")
@pass_wallet
@reports_errors
def show(w: WalletContext, cred_id: str, offline: bool) -> None:
    """Show one credential: its claims, issuer, validity and current status.

    ID is the id `wallet list` prints, a unique prefix of it, or the issuer's credential id.
    """
    from ledger.errors import RpcUnavailable, WalletRecordNotFound

    chain = None if offline else w.chain()
    with w.wallet() as wallet:
        try:
            view = wallet.show(cred_id, chain)
        except WalletRecordNotFound as exc:
            raise WalletRecordNotFound(f"{exc} (`wallet list` shows the ids)") from exc
        except RpcUnavailable as exc:
            raise RpcUnavailable(
                exc.url, f"{exc.reason}; `wallet show --offline` works without it"
            ) from exc
    lines = [
        f"Credential {view.cred_id}",
        f"Type:     {view.vct} (type {view.type_id})",
        f"Issuer:   {view.issuer_name} ({view.issuer_address})",
        f"Issued:   {format_date(view.iat)}",
        f"Expires:  {_expiry(view.exp)}",
        f"Status:   {view.status}",
        "Claims:",
        *(line for name, value in view.claims.items() for line in _claim_lines(name, value, 1)),
    ]
    emit(view.to_json(), "\n".join(lines), as_json=w.as_json)


@cli.command()
@click.option(
    "--request",
    "request_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Presentation request file from the verifier.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the presentation for the verifier.",
)
@click.option("--yes", is_flag=True, help="Consent without asking (for automation).")
@click.option("--qr", is_flag=True, help="Also print the presentation as a QR code.")
@click.option(
    "--allow-unregistered",
    is_flag=True,
    help="UNSAFE: answer a verifier that is not registered on the ledger for this request.",
)
@pass_wallet
@reports_errors
def present(
    w: WalletContext,
    request_file: Path,
    out: Path,
    yes: bool,
    qr: bool,
    allow_unregistered: bool,
) -> None:
    """Answer a presentation request: show who asks for what and why, then disclose exactly
    the requested claims if you consent."""
    from ledger.agency.request import PresentationRequest
    from ledger.errors import InputError, RequestMalformed

    try:
        request = PresentationRequest.from_json(request_file.read_bytes())
    except OSError as exc:
        raise InputError(f"{request_file}: cannot read ({exc.strerror or exc})") from exc
    except RequestMalformed as exc:
        raise InputError(f"{request_file}: not a valid presentation request ({exc})") from exc
    check_writable(out)  # before consent: a disclosure is recorded only if it can be written
    chain = w.chain()
    # Under --json, stdout carries only the JSON: whatever the citizen must read goes to stderr.
    to_stderr = w.as_json
    with w.wallet() as wallet:
        prompt = wallet.prepare_presentation(
            request, chain=chain, unsafe_allow_unregistered=allow_unregistered
        )
        if prompt.warning:
            click.secho(prompt.warning, fg="red", bold=True, err=True)
        if not (w.as_json and yes):
            click.echo(f"{prompt.verifier_name} ({prompt.verifier}) asks for:", err=to_stderr)
            for path, value in prompt.disclosed:
                click.echo(f"  {path}: {_value(value)}", err=to_stderr)
            click.echo(f"Purpose: {prompt.purpose}", err=to_stderr)
            click.echo(f"From credential {prompt.credential_id} ({prompt.vct})", err=to_stderr)
        consent = yes or click.confirm(
            f"Disclose {_plural(len(prompt.claims), 'claim')} to {prompt.verifier_name}?",
            default=False,
            err=to_stderr,
        )
        package = wallet.present(prompt, consent=consent)
    try:
        write_atomic(out, package.to_json() + "\n")
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror or exc})") from exc
    if w.as_json:
        emit({**prompt.to_json(), "out": str(out)}, "", as_json=True)
    else:
        click.echo(f"Wrote presentation to {out}")
    if qr:
        click.echo(_qr(package.to_json()), nl=False, err=to_stderr)


def _qr(text: str) -> str:
    """`text` (compacted JSON) as a QR code drawn for a terminal."""
    import io
    import json

    import segno
    from segno import DataOverflowError

    from ledger.errors import InputError

    compact = json.dumps(json.loads(text), separators=(",", ":"), sort_keys=True)
    try:
        code = segno.make(compact, error="L", micro=False)
    except DataOverflowError as exc:
        raise InputError(f"the presentation is too large for a QR code ({exc})") from exc
    drawn = io.StringIO()
    code.terminal(out=drawn, compact=True)
    return drawn.getvalue()


@cli.command()
@pass_wallet
@reports_errors
def history(w: WalletContext) -> None:
    """What was disclosed to whom, when and for what purpose."""
    with w.wallet() as wallet:
        entries = wallet.history()
    lines = [
        f"{format_date(e.at)}  {e.verifier_name} ({e.verifier_address})  {e.purpose!r}: "
        f"{', '.join(e.claims)}  [credential {e.credential_id}]"
        for e in entries
    ]
    emit(
        [e.to_json() for e in entries],
        "\n".join(lines) if lines else "Nothing disclosed yet.",
        as_json=w.as_json,
    )


def _backup_passphrase(*, confirm: bool) -> str:
    return read_secret(BACKUP_PASSPHRASE_ENV, "Backup passphrase", confirm=confirm)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_wallet
@reports_errors
def backup(w: WalletContext, file: Path) -> None:
    """Write an encrypted backup of the whole wallet to FILE (own passphrase)."""
    with w.wallet() as wallet:
        info = wallet.backup(file, _backup_passphrase(confirm=True), kdf_params=_kdf())
    emit(
        {
            "path": str(info.path),
            "keys": info.keys,
            "credentials": info.credentials,
            "history": info.history,
        },
        f"Backup written to {info.path}: {_plural(info.keys, 'key')}, "
        f"{_plural(info.credentials, 'credential')}, "
        f"{_plural(info.history, 'history entry', 'history entries')}",
        as_json=w.as_json,
    )


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing wallet in the home.")
@pass_wallet
@reports_errors
def restore(w: WalletContext, file: Path, force: bool) -> None:
    """Restore a backup FILE into the wallet home, under a (new) wallet passphrase."""
    from ledger.errors import WalletAlreadyExists

    if WalletStore.exists(w.home) and not force:
        raise WalletAlreadyExists(
            f"a wallet already exists in {w.home}; restoring with --force replaces it "
            "(its credentials and history are then lost)"
        )
    backup_passphrase = _backup_passphrase(confirm=False)
    with Wallet.restore(
        file,
        backup_passphrase,
        w.home,
        w.passphrase(confirm=True),
        force=force,
        kdf_params=_kdf(),
    ) as wallet:
        creds, entries = len(wallet.list()), len(wallet.history())
    emit(
        {"home": str(w.home), "credentials": creds, "history": entries},
        f"Restored wallet in {w.home}: {_plural(creds, 'credential')}, "
        f"{_plural(entries, 'history entry', 'history entries')}",
        as_json=w.as_json,
    )


# The once-only exchange's commands live in their own module (`ledger.cli._wallet_exchange`).
cli.add_command(consent)
cli.add_command(access_log)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `wallet` command."""
    cli.main(args=argv, prog_name="wallet")


if __name__ == "__main__":
    main()
