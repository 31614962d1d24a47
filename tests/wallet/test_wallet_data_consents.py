"""The citizen's consents to once-only pulls in her wallet: signed with her holder key, kept in
the encrypted store across reopening, withdrawn with a signed withdrawal the source accepts."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from world import CHEAP_KDF, PASSPHRASE

from ledger.errors import ConsentMalformed, WalletRecordNotFound
from ledger.exchange.consent import record_consent, record_withdrawal, verify_consent
from ledger.exchange.receipts import purpose_digest
from ledger.exchange.store import SqliteExchangeStore
from ledger.wallet.data_consents import DataConsent
from ledger.wallet.wallet import Wallet

SOURCE = "0x" + "11" * 20
KOMMUNE = "0x" + "22" * 20
VCT = "https://cpr.example/person"
NOW = 1_780_000_000
DAY = 86_400


def clock() -> object:
    ticks = itertools.count(NOW)
    return lambda: float(next(ticks))


def grant(wallet: Wallet, **kw: object) -> DataConsent:
    args: dict[str, object] = {
        "requester": KOMMUNE,
        "requester_name": "Københavns Kommune",
        "source": SOURCE,
        "vct": VCT,
        "claims": ["age_over_18", "address.municipality"],
        "purpose": "Boligstøtte",
        "expires_at": NOW + 90 * DAY,
    }
    args.update(kw)
    return wallet.grant_consent(**args)  # type: ignore[arg-type]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    with Wallet.init(tmp_path / "w", PASSPHRASE, kdf_params=CHEAP_KDF, now=clock()):  # type: ignore[arg-type]
        pass
    return tmp_path / "w"


def open_wallet(home: Path) -> Wallet:
    return Wallet.open(home, PASSPHRASE, now=clock())  # type: ignore[arg-type]


def test_a_granted_consent_is_signed_by_the_holder_key(home: Path) -> None:
    with open_wallet(home) as wallet:
        consent = grant(wallet)
        verified = verify_consent(consent.document, wallet.holder_jwk, now=NOW + 1)
    assert verified.consent_id == consent.consent_id
    assert consent.claims == ("address.municipality", "age_over_18")
    assert (consent.granted_at, consent.expires_at) == (NOW, NOW + 90 * DAY)
    assert consent.state(NOW + 1) == "active"
    assert consent.state(NOW + 90 * DAY) == "expired"


def test_consents_survive_reopening_the_wallet(home: Path) -> None:
    with open_wallet(home) as wallet:
        first = grant(wallet)
        second = grant(wallet, purpose="Folkepension", requester_name="Udbetaling Danmark")
    with open_wallet(home) as wallet:
        assert wallet.list_consents() == (first, second)
        assert wallet.store.verify().data_consents == 2


def test_a_withdrawal_is_kept_and_survives_reopening(home: Path) -> None:
    with open_wallet(home) as wallet:
        consent = grant(wallet)
        withdrawn = wallet.withdraw_consent(consent.consent_id)
    with open_wallet(home) as wallet:
        (kept,) = wallet.list_consents()
    assert kept == withdrawn
    assert kept.withdrawal is not None and kept.withdrawn_at is not None
    assert kept.state(NOW) == "withdrawn"


def test_withdrawing_again_returns_the_first_withdrawal(home: Path) -> None:
    with open_wallet(home) as wallet:
        consent = grant(wallet)
        first = wallet.withdraw_consent(consent.consent_id)
        assert wallet.withdraw_consent(consent.consent_id) == first


def test_withdrawing_an_unknown_consent_is_not_found(home: Path) -> None:
    with open_wallet(home) as wallet, pytest.raises(WalletRecordNotFound):
        wallet.withdraw_consent("ab" * 16)


def test_the_wallet_refuses_a_consent_out_of_bounds(home: Path) -> None:
    with open_wallet(home) as wallet:
        with pytest.raises(ConsentMalformed):
            grant(wallet, claims=[])
        assert wallet.list_consents() == ()


def test_the_source_records_what_the_wallet_signed(home: Path, tmp_path: Path) -> None:
    with open_wallet(home) as wallet:
        consent = grant(wallet)
        withdrawal = wallet.withdraw_consent(consent.consent_id).withdrawal
        jwk = wallet.holder_jwk
    assert withdrawal is not None
    with SqliteExchangeStore(tmp_path / "source.db") as store:
        record_consent(store, consent.document, jwk, subject_id="s", source=SOURCE, now=NOW + 5)
        digest = purpose_digest("Boligstøtte")
        assert store.find_consent("s", KOMMUNE, VCT, ["age_over_18"], digest, now=NOW + 6)
        record_withdrawal(store, withdrawal, jwk, subject_id="s", now=NOW + 7)
        assert not store.find_consent("s", KOMMUNE, VCT, ["age_over_18"], digest, now=NOW + 7)


def test_a_backup_restores_the_consents(home: Path, tmp_path: Path) -> None:
    with open_wallet(home) as wallet:
        consent = grant(wallet)
        withdrawn = wallet.withdraw_consent(grant(wallet, purpose="Folkepension").consent_id)
        wallet.backup(tmp_path / "backup", "backup passphrase", kdf_params=CHEAP_KDF)
    with Wallet.restore(
        tmp_path / "backup", "backup passphrase", tmp_path / "restored", PASSPHRASE,
        kdf_params=CHEAP_KDF,
    ) as restored:  # fmt: skip
        assert restored.list_consents() == (consent, withdrawn)
