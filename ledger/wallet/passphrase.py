"""Reading the wallet passphrase: from an environment variable (automation) or a prompt.

Never from argv: command lines are visible to every user of the machine through `ps`.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping

from ledger.errors import WalletPassphraseInvalid

PASSPHRASE_ENV = "WALLET_PASSPHRASE"

__all__ = ["PASSPHRASE_ENV", "passphrase_from_env_or_prompt"]


def passphrase_from_env_or_prompt(
    env_var: str,
    prompt: str,
    *,
    confirm: bool = False,
    environ: Mapping[str, str] | None = None,
    ask: Callable[[str], str] | None = None,
) -> str:
    """Return the passphrase from `env_var` if set and non-empty, else prompt with getpass.

    With `confirm`, a prompted passphrase must be typed twice. An empty passphrase or a failed
    confirmation raises `WalletPassphraseInvalid`. `environ` and `ask` are for tests.
    """
    env = os.environ if environ is None else environ
    value = env.get(env_var, "")
    if value:
        return value
    read = getpass.getpass if ask is None else ask
    value = read(prompt)
    if not value:
        raise WalletPassphraseInvalid("the passphrase must not be empty")
    if confirm and read("Repeat passphrase: ") != value:
        raise WalletPassphraseInvalid("the two passphrases do not match")
    return value
