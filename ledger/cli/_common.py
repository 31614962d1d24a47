"""What both CLIs share: error reporting, JSON or human output, secrets, progress.

Commands stay thin: parse arguments, make one SDK call, print the result. Expected failures
(`LedgerError`) become `Error: <message>` on stderr and exit code 1; usage errors keep click's
exit code 2. Secrets never come from argv: an environment variable for automation, else a prompt.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from ledger import untrusted_json
from ledger.errors import (
    ContractRevert,
    InputError,
    InvalidJwk,
    JsonRejected,
    LedgerError,
    RequestMalformed,
)

if TYPE_CHECKING:
    from ledger.wallet import KdfParams

P = ParamSpec("P")
R = TypeVar("R")


class CliError(click.ClickException):
    """An expected failure, shown as `Error: <message>` with exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


_KID_ARGUMENT = re.compile(r"-[A-Za-z0-9_-]{42}")


class KidArgumentCommand(click.Command):
    """A command whose positional argument is a key id (`kid`).

    A kid is the base64url of a SHA-256 thumbprint, so one in 64 starts with `-` and would be
    read as an option; such a token is moved behind `--`, which makes it positional.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" not in args:
            kids = [a for a in args if _KID_ARGUMENT.fullmatch(a)]
            if kids:
                args = [a for a in args if a not in kids] + ["--", *kids]
        return super().parse_args(ctx, args)


def describe(exc: LedgerError) -> str:
    """The message a person sees for `exc`: contract reverts also say what they mean."""
    if isinstance(exc, ContractRevert):
        return exc.explained()
    return str(exc) or type(exc).__name__


def reports_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn SDK errors raised by a command into `Error: ...` and a non-zero exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except LedgerError as exc:
            raise CliError(describe(exc)) from exc

    return wrapper


def emit(data: Any, human: str, *, as_json: bool) -> None:
    """Print `data` as JSON (for scripts) or the human text."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        click.echo(human)


def read_secret(env_var: str, prompt: str, *, confirm: bool = False) -> str:
    """A passphrase from `env_var`, else from an interactive prompt; never from argv."""
    value = os.environ.get(env_var)
    if value:
        return value
    if not sys.stdin.isatty():
        raise InputError(f"no passphrase: set {env_var} or run in a terminal to be prompted")
    first = getpass.getpass(f"{prompt}: ")
    if confirm and getpass.getpass(f"{prompt} (again): ") != first:
        raise InputError("the two passphrases differ")
    if not first:
        raise InputError("an empty passphrase is not allowed")
    return first


def read_json_file(path: str) -> Any:
    """Parse a JSON file within the limits of `ledger.untrusted_json`; the error names the file
    (a `JsonRejected` subclass saying what was refused, or `InputError` if it cannot be read)."""
    try:
        return untrusted_json.load_file(path)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{path}: not a JSON file ({exc.strerror or exc})") from exc
    except JsonRejected as exc:
        raise type(exc)(f"{path}: not a JSON file ({exc})") from exc


def load_json_file(path: Path, load: Callable[[Any], R]) -> R:
    """`load` of the JSON in file `path`; an input it rejects is an `InputError` naming the file
    (a command reads several files, and "not a ledger-credential/v1 document" alone does not
    say which one)."""
    doc = read_json_file(str(path))
    try:
        return load(doc)
    except (InputError, InvalidJwk, RequestMalformed) as exc:
        raise InputError(f"{path}: {exc}") from exc


@contextmanager
def progress(
    label: str, total: int, *, enabled: bool = True
) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for long work; a no-op callback when stderr is not a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done, total_: None
        return
    from rich.progress import Progress  # imported lazily: rich is slow to import

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, total_: int) -> None:
            bar.update(task, completed=done, total=total_)

        yield update


_WORK_FACTORS = "ledger.work_factors"


@dataclass(frozen=True)
class WorkFactors:
    """How costly the secrets a CLI writes are to attack: keystores (scrypt) and wallets and
    their backups (Argon2id). Production always runs with the defaults; there is no option or
    environment variable for this. Tests hand a CLI cheaper ones as click's ``obj``:
    ``CliRunner().invoke(cli, args, obj=WorkFactors(keystore=2**4, wallet=cheap))``, or
    ``cli.main(args, obj=...)`` in a process of their own."""

    keystore: int | None = None  # scrypt n of new keystores; None: eth-account's default
    wallet: KdfParams | None = None  # of new wallets and backups; None: ledger.wallet.DEFAULT_KDF


def adopt_work_factors(ctx: click.Context) -> None:
    """Keep the `WorkFactors` a caller passed as ``obj`` for the whole command (a group's
    callback calls this before it replaces ``obj`` with its own context)."""
    if isinstance(ctx.obj, WorkFactors):
        ctx.meta[_WORK_FACTORS] = ctx.obj


def work_factors() -> WorkFactors:
    """The work factors of the running command (the defaults outside a command)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(_WORK_FACTORS) if ctx is not None else None
    return found if isinstance(found, WorkFactors) else WorkFactors()
