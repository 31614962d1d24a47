"""The citizen wallet: holder key, verified credentials, consented presentations, history.

`Wallet` ties the encrypted `WalletStore` to the chain. Listing and history need only the store;
importing, showing status and presenting need a `LedgerChain`. The chain, agency and request
layers (web3-adjacent, slow to import) are imported only by the calls that use them, so
`wallet list` stays a cold start of a few tenths of a second.

Longer than the house's ~400 lines: `Wallet` is the one facade a citizen's calls go through; each
method is a few lines over the modules that do the work.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ledger._rand import Clock, Rng
from ledger.errors import (
    ConsentDeclined,
    InputError,
    PresentationRefused,
    RequestExpired,
    WalletRecordNotFound,
)
from ledger.sdjwt._names import TECHNICAL_CLAIMS
from ledger.wallet._crypto import DEFAULT_KDF, KdfParams
from ledger.wallet.backup import BackupInfo, export_backup, restore_backup
from ledger.wallet.records import HistoryEntry, StoredCredential
from ledger.wallet.store import WalletStore

if TYPE_CHECKING:
    from ledger.agency.packages import CredentialPackage, PresentationPackage
    from ledger.agency.request import PresentationRequest
    from ledger.chain.client import LedgerChain
    from ledger.exchange.access_log import AnchoredBatch
    from ledger.sdjwt import SigningKey
    from ledger.wallet.access_log import SourceLog, VerifiedAccessLog
    from ledger.wallet.consent import ConsentPrompt
    from ledger.wallet.data_consents import DataConsent

__all__ = ["HOLDER_KEY_ID", "CredentialView", "Wallet"]

#: Store id of the wallet's holder key.
HOLDER_KEY_ID = "holder"
_TECHNICAL = TECHNICAL_CLAIMS


@dataclass(frozen=True)
class CredentialView:
    """A credential as shown to its holder.

    `claims` are the person's claims (no technical ones such as `cnf` or `status`), in the order
    of the credential type's registered claim names (an object such as `address` where its first
    member, `address.street_address`, is registered). `status` is
    the name of the current on-chain status (``valid``, ``revoked``, ``suspended``) or
    ``unknown`` when no chain was asked; `issuer_name` is the name the TrustRegistry holds now
    (the one recorded at import when offline).
    """

    cred_id: str
    vct: str
    type_id: int
    issuer_address: str
    issuer_name: str
    iat: int
    exp: int | None
    status: str
    anchored_at: int
    claims: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.cred_id,
            "vct": self.vct,
            "type_id": self.type_id,
            "issuer": self.issuer_address,
            "issuer_name": self.issuer_name,
            "iat": self.iat,
            "exp": self.exp,
            "status": self.status,
            "anchored_at": self.anchored_at,
            "claims": self.claims,
        }


def _in_registered_order(claims: dict[str, Any], claim_names: list[str]) -> dict[str, Any]:
    """`claims` (and the members of its objects) in the order of the type's claim names: an
    object such as `address` goes where its first registered member `address.street_address`
    does; names not registered come last, alphabetically."""
    rank: dict[str, int] = {}
    for i, path in enumerate(claim_names):
        segments = re.split(r"\.|\[", path)
        for end in range(1, len(segments) + 1):
            rank.setdefault(".".join(segments[:end]), i)

    def order(node: dict[str, Any], prefix: str) -> dict[str, Any]:
        keys = sorted(node, key=lambda k: (rank.get(prefix + k, len(claim_names)), k))
        return {
            k: order(node[k], f"{prefix}{k}.") if isinstance(node[k], dict) else node[k]
            for k in keys
        }

    return order(claims, "")


class Wallet:
    """An unlocked citizen wallet. Get one with `Wallet.init`, `Wallet.open` or `Wallet.restore`;
    close it (or use it as a context manager) when done."""

    def __init__(self, store: WalletStore, *, now: Clock | None = None) -> None:
        """Wrap an unlocked store (no I/O)."""
        self._store = store
        self._now: Clock = time.time if now is None else now
        self._key: SigningKey | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        home: Path,
        passphrase: str,
        *,
        kdf_params: KdfParams = DEFAULT_KDF,
        now: Clock | None = None,
        rng: Rng | None = None,
    ) -> Wallet:
        """Create the encrypted store in `home` and a fresh P-256 holder key inside it.

        Raises `WalletAlreadyExists` if `home` already has a wallet.
        """
        from ledger.sdjwt import SigningKey

        store = WalletStore.create(home, passphrase, kdf_params=kdf_params, now=now, rng=rng)
        try:
            key = SigningKey.generate()
            store.put_key(HOLDER_KEY_ID, key.to_private_jwk(), label="holder key (ES256)")
        except BaseException:
            store.close()
            raise
        wallet = cls(store, now=now)
        wallet._key = key
        return wallet

    @classmethod
    def open(cls, home: Path, passphrase: str, *, now: Clock | None = None) -> Wallet:
        """Unlock the wallet in `home` (`WalletNotFound`, `WrongWalletPassphrase`, ...)."""
        return cls(WalletStore.open(home, passphrase, now=now), now=now)

    @classmethod
    def restore(
        cls,
        path: Path,
        backup_passphrase: str,
        home: Path,
        new_passphrase: str,
        *,
        force: bool = False,
        kdf_params: KdfParams = DEFAULT_KDF,
        now: Clock | None = None,
    ) -> Wallet:
        """Restore the backup at `path` into `home` (which must hold no wallet unless `force`),
        locked by `new_passphrase`."""
        store = restore_backup(
            path,
            backup_passphrase,
            home,
            new_passphrase,
            force=force,
            kdf_params=kdf_params,
            now=now,
        )
        return cls(store, now=now)

    def close(self) -> None:
        """Close the store."""
        self._store.close()

    def __enter__(self) -> Wallet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def store(self) -> WalletStore:
        """The underlying encrypted store."""
        return self._store

    # -- holder key -----------------------------------------------------------------------------

    def holder_key(self) -> SigningKey:
        """The holder's signing key (loaded from the store on first use)."""
        if self._key is None:
            from ledger.sdjwt import SigningKey

            self._key = SigningKey.from_private_jwk(self._store.get_key(HOLDER_KEY_ID).jwk)
        return self._key

    @property
    def holder_jwk(self) -> dict[str, str]:
        """The public holder JWK that credentials for this wallet must carry as `cnf.jwk`."""
        return self.holder_key().public_jwk

    # -- credentials ----------------------------------------------------------------------------

    def import_credential(
        self, package: CredentialPackage, *, chain: LedgerChain
    ) -> StoredCredential:
        """Verify `package` against the chain and this wallet's key, then store it.

        Raises `WalletImportRefused` (with `check` and `cause`) for a forged, unanchored,
        revoked or someone else's credential, or one from an issuer not accredited or a key not
        valid at anchor time. Importing the same credential again replaces it.
        """
        from ledger.wallet.holder import verify_for_import

        facts = verify_for_import(
            package, holder_jwk=self.holder_jwk, chain=chain, now=int(self._now())
        )
        return self._store.put_credential(facts.cred_id, package.sd_jwt, facts.to_metadata())

    def list(self) -> tuple[StoredCredential, ...]:
        """Every stored credential, ordered by id. Needs no chain."""
        return self._store.list_credentials()

    def get(self, cred_id: str) -> StoredCredential:
        """One stored credential by the wallet's id, by a prefix of it that names only one, or
        by the id its issuer gave it (`ledger issue` prints that one); `WalletRecordNotFound`
        if none matches."""
        try:
            return self._store.get_credential(cred_id)
        except WalletRecordNotFound:
            matches = [
                cred
                for cred in self.list()
                if cred.cred_id.startswith(cred_id)
                or cred.metadata.get("package_metadata", {}).get("credential_id") == cred_id
            ]
            if len(matches) == 1 and cred_id:
                return matches[0]
            raise

    def show(self, cred_id: str, chain: LedgerChain | None = None) -> CredentialView:
        """A credential for a person to read; with `chain`, its issuer's registered name and its
        status now are read from the chain."""
        from ledger.sdjwt import unverified_claims

        cred = self.get(cred_id)
        meta = cred.metadata
        raw = {k: v for k, v in unverified_claims(cred.compact).items() if k not in _TECHNICAL}
        claims = _in_registered_order(raw, [str(n) for n in meta.get("claim_names", [])])
        issuer = str(meta.get("issuer_address", ""))
        name = str(meta.get("issuer_name", ""))
        status = "unknown"
        if chain is not None:
            ref = meta.get("status", {})
            name = chain.agency(issuer).name or name
            value = chain.status_of(issuer, int(ref.get("list", 0)), int(ref.get("idx", 0)))
            status = value.name.lower()
        exp = meta.get("exp")
        return CredentialView(
            cred_id=cred.cred_id,
            vct=str(meta.get("vct", "")),
            type_id=int(meta.get("type_id", 0)),
            issuer_address=issuer,
            issuer_name=name,
            iat=int(meta.get("iat", 0)),
            exp=exp if isinstance(exp, int) else None,
            status=status,
            anchored_at=int(meta.get("anchored_at", 0)),
            claims=claims,
        )

    # -- presentations --------------------------------------------------------------------------

    def prepare_presentation(
        self,
        request: PresentationRequest,
        *,
        chain: LedgerChain,
        unsafe_allow_unregistered: bool = False,
    ) -> ConsentPrompt:
        """Check who asks for what (see `ledger.wallet.consent`) and return what to consent to.

        Refuses (`VerifierNotRegistered`) when the verifier is not an Active agency registered
        on chain for these claims and this purpose. `unsafe_allow_unregistered=True` turns that
        refusal into a warning on the prompt: UNSAFE, the citizen then discloses to a party the
        ledger does not vouch for.
        """
        from ledger.wallet.consent import prepare

        return prepare(
            request,
            self.list(),
            chain=chain,
            unsafe_allow_unregistered=unsafe_allow_unregistered,
            now=int(self._now()),
        )

    def present(self, prompt: ConsentPrompt, *, consent: bool) -> PresentationPackage:
        """With `consent`, disclose exactly `prompt.claims` (plus the parent disclosures they
        need) bound to the request's audience and nonce, and record it in the history.

        Raises `ConsentDeclined` without consent, `RequestExpired` if the request expired since
        the prompt was prepared.
        """
        from ledger.agency.packages import AnchorEvidence, PresentationPackage
        from ledger.sdjwt import create_presentation

        if not consent:
            raise ConsentDeclined("consent declined: nothing was disclosed")
        now = int(self._now())
        if now >= prompt.expires_at:
            from ledger.agency.request import utc_time

            raise RequestExpired(
                f"request expired at {utc_time(prompt.expires_at)} (now {utc_time(now)})"
            )
        cred = self._store.get_credential(prompt.credential_id)
        presentation = create_presentation(
            cred.compact,
            disclose=prompt.claims,
            holder_key=self.holder_key(),
            audience=prompt.audience,
            nonce=prompt.nonce,
            now=now,
        )
        self._check_disclosures(cred, presentation, prompt, now)
        try:
            anchor = AnchorEvidence.from_dict(cred.metadata.get("anchor"))
        except InputError as exc:
            raise PresentationRefused(f"credential {cred.cred_id} has no anchor proof") from exc
        self._store.add_history(
            verifier_address=prompt.verifier,
            verifier_name=prompt.verifier_name,
            purpose=prompt.purpose,
            claims=prompt.claims,
            credential_id=cred.cred_id,
            at=now,
        )
        return PresentationPackage(presentation, anchor, prompt.type_id)

    def _check_disclosures(
        self, cred: StoredCredential, presentation: str, prompt: ConsentPrompt, now: int
    ) -> None:
        """Belt and braces: the presentation verifies and reveals nothing beyond the request."""
        from ledger._claim_paths import parse_path
        from ledger.sdjwt import public_key_from_xy, verify_presentation

        x, y = (bytes.fromhex(str(v)[2:]) for v in cred.metadata["issuer_key"])
        verified = verify_presentation(
            presentation,
            issuer_key_resolver=public_key_from_xy(x, y),
            expected_audience=prompt.audience,
            expected_nonce=prompt.nonce,
            now=now,
        )
        wanted = [parse_path(p) for p in prompt.claims]
        for text in verified.disclosed_paths:
            path = parse_path(text)
            if not any(path[: len(w)] == w or w[: len(path)] == path for w in wanted):
                raise PresentationRefused(f"internal error: {text} would be disclosed")

    # -- consents to once-only pulls and the access log (ledger.wallet.data_consents) -----------

    def grant_consent(
        self,
        *,
        requester: str,
        requester_name: str,
        source: str,
        vct: str,
        claims: Sequence[str],
        purpose: str,
        expires_at: int,
        now: int | None = None,
    ) -> DataConsent:
        """Sign a consent for `requester` to have `source` answer its queries for `claims` of
        `vct` for `purpose` until `expires_at`, and keep it; deliver its `document` to the
        source (`ledger.wallet.data_consents.deliver`, or a file). It is granted at `now`
        (default: the wallet's clock); the source honours it from that time on its own clock."""
        from ledger.wallet import data_consents

        return data_consents.grant(
            self._store,
            self.holder_key(),
            requester=requester,
            requester_name=requester_name,
            source=source,
            vct=vct,
            claims=claims,
            purpose=purpose,
            expires_at=expires_at,
            now=int(self._now()) if now is None else now,
        )

    def list_consents(self) -> tuple[DataConsent, ...]:
        """Every consent granted from this wallet, withdrawn and expired ones too, oldest
        first. Needs no chain."""
        from ledger.wallet import data_consents

        return data_consents.list_consents(self._store)

    def withdraw_consent(self, consent_id: str) -> DataConsent:
        """Sign the withdrawal of a consent and keep it; deliver its `withdrawal` to the source.
        `WalletRecordNotFound` if the wallet holds no such consent."""
        from ledger.wallet import data_consents

        return data_consents.withdraw(
            self._store, self.holder_key(), consent_id, now=int(self._now())
        )

    def access_log(
        self,
        log: SourceLog,
        anchored: Sequence[AnchoredBatch],
        *,
        names: Callable[[str], str] | Mapping[str, str] | None = None,
    ) -> VerifiedAccessLog:
        """Verify a source's log of this citizen against the batches the chain lists for the
        source (see `ledger.wallet.access_log`); `names` gives requesters' registered names.

        The source's log key is pinned on first use (wallet meta ``log-key:<source>``): a
        source that later shows another key could point her pseudonyms at empty slots, so that
        is `AccessLogKeyChanged` (a known limit: a source that lies from the first time is
        caught only once its log key is published on chain)."""
        from ledger.errors import AccessLogKeyChanged
        from ledger.wallet.access_log import verify_access_log

        pin = f"log-key:{log.source}"
        pinned = self._store.get_meta(pin)
        if pinned is not None and pinned != log.log_key.kid:
            raise AccessLogKeyChanged(
                f"the source {log.source} shows another log key ({log.log_key.kid}) than before "
                f"({pinned}): its log cannot be trusted to be complete"
            )
        verified = verify_access_log(log, self.holder_key(), anchored, names=names)
        if pinned is None:
            self._store.set_meta(pin, log.log_key.kid)
        return verified

    # -- history and backups --------------------------------------------------------------------

    def history(self) -> tuple[HistoryEntry, ...]:
        """Every disclosure made from this wallet, oldest first."""
        return self._store.history()

    def backup(
        self, path: Path, backup_passphrase: str, *, kdf_params: KdfParams = DEFAULT_KDF
    ) -> BackupInfo:
        """Write an encrypted backup of everything (keys, credentials, history) to `path`."""
        return export_backup(
            self._store, path, backup_passphrase, kdf_params=kdf_params, now=self._now
        )
