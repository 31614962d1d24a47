"""`ledger demo`: the end-to-end Danish scenario on a devnet the demo starts and stops itself.

1. The council admits the CPR office (issuer of person credentials) and a municipality
   (verifier registered for `age_over_18` and the municipality of residence, for one purpose).
2. The CPR office issues a person credential to a citizen's wallet, which verifies it first.
3. The municipality asks for exactly two claims; the wallet shows the request, the citizen
   consents, the municipality verifies and sees exactly those two claims.
4. An agency that is not registered as a verifier asks for the CPR number: the SDK will not
   write the request, and the wallet refuses one written anyway.
5. The CPR office revokes the credential: presenting it again fails, with the reason.
6. The CPR office's signing key is reported stolen and revoked: a credential anchored before
   still verifies; one signed with the stolen key and anchored afterwards is rejected.
7. Once-only: the municipality fetches Karen's age and municipality from the CPR office's data
   service (found in the directory on chain) for a case, on the legal basis public task,
   without Karen presenting anything; a purpose resting on consent is refused until Karen
   grants consent in her wallet; the CPR office anchors its receipts, and Karen's wallet shows
   every access, the refusal too, each proven against the chain and the log proven complete.

Everything runs through the SDK (the same calls the `ledger` and `wallet` CLIs make) against a
real anvil; the devnet, the wallet and the issuer's outbox live in a temporary directory that
is removed at the end, and no process is left running (the data service of step 7 runs under
uvicorn on a free loopback port, in a thread stopped before the devnet).

Over ~400 lines: one scenario told in order; splitting its steps across modules would scatter
the story the module exists to tell.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.agency.issuer import Issuer
from ledger.agency.packages import CredentialPackage, PresentationPackage
from ledger.agency.request import purpose_digest
from ledger.agency.verifier import Verifier
from ledger.chain.anvil import free_port
from ledger.chain.client import LedgerChain
from ledger.chain.council import CouncilAction, council_execute
from ledger.chain.deploy import Deployment, deploy_suite
from ledger.chain.devnet import Devnet
from ledger.chain.records import LegalBasis
from ledger.chain.rpc import Rpc
from ledger.errors import (
    ConsentMissing,
    LedgerError,
    VerificationError,
    VerifierNotRegisteredForRequest,
    WalletError,
)
from ledger.exchange.anchoring import anchor_receipts
from ledger.exchange.pseudonym import SourceLogKey
from ledger.exchange.register import RECORD_FIELDS, StoreRegister
from ledger.exchange.requester import DataRequester
from ledger.exchange.source import DataSource, DictHolderKeys
from ledger.exchange.store import SqliteExchangeStore
from ledger.sdjwt import SigningKey, create_presentation
from ledger.service.app import create_app
from ledger.wallet.access_log import anchored_batches, fetch_source_log
from ledger.wallet.data_consents import deliver
from ledger.wallet.wallet import Wallet

VCT = "https://credentials.cpr.dk/person/v1"
CLAIM_NAMES = (
    "given_name",
    "family_name",
    "birthdate",
    "cpr_number",
    "address.street_address",
    "address.postal_code",
    "address.locality",
    "address.municipality",
    "nationalities",
    "age_over_18",
    "age_over_65",
)
PERSON: dict[str, Any] = {
    "given_name": "Karen",
    "family_name": "Jensen",
    "birthdate": "1990-01-01",
    "cpr_number": "010190-1234",
    "address": {
        "street_address": "Nørregade 7",
        "postal_code": "1165",
        "locality": "København K",
        "municipality": "København",
    },
    "nationalities": ["DK"],
    "age_over_18": True,
    "age_over_65": False,
}
MUNICIPALITY_CLAIMS = ("age_over_18", "address.municipality")
MUNICIPALITY_PURPOSE = "Check age and municipality of residence for a youth-club membership"
# Step 7: the municipality's two purposes at the CPR office's data service.
CASE_PURPOSE = "Case processing: age and municipality of residence (public task)"
CASE_CLAIMS = ("age_over_18", "address.municipality")
CASE_REF = "KK-2026-0042"
HOUSING_PURPOSE = "Housing benefit: municipality of residence"
HOUSING_CLAIMS = ("address.municipality",)
HOUSING_CASE_REF = "KK-2026-0043"
STEPS = 7


@dataclass(frozen=True)
class DemoResult:
    """What the scenario observed, for tests and `--json`."""

    chain_id: int
    disclosed_to_municipality: dict[str, Any]
    refusal_of_unregistered: str
    failure_after_revocation: str
    earlier_credential_after_key_theft: str
    stolen_key_credential: str
    pulled_for_case: dict[str, Any]
    """Step 7: the claims the municipality pulled on the legal basis public task."""
    refusal_before_consent: str
    """Step 7: the refusal code of the consent-based pull before Karen consented."""
    pulled_after_consent: dict[str, Any]
    access_log: list[dict[str, Any]]
    """Step 7: Karen's log from the CPR office, each access with its batch and block."""
    access_log_complete: bool
    """Step 7: her wallet proved the log complete over every batch anchored on chain."""
    seconds: float


class _Narrator:
    """Readable step-by-step output."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self._echo = echo
        self._step = 0

    def step(self, title: str) -> None:
        self._step += 1
        self._echo("")
        self._echo(f"[{self._step}/{STEPS}] {title}")

    def ok(self, text: str) -> None:
        self._echo(f"  ✓ {text}")

    def no(self, text: str) -> None:
        self._echo(f"  ✗ {text}")

    def say(self, text: str) -> None:
        self._echo(f"    {text}")


def _funded(rpc: Rpc) -> LocalAccount:
    account: LocalAccount = Account.from_key(secrets.token_bytes(32))
    rpc.call("anvil_setBalance", [account.address, hex(1000 * 10**18)])
    return account


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


@contextmanager
def _devnet(workdir: Path, rpc_url: str | None) -> Iterator[str]:
    if rpc_url is not None:
        yield rpc_url
        return
    with Devnet(workdir=workdir) as devnet:
        yield devnet.rpc_url


def run_demo(
    echo: Callable[[str], None] = print, *, rpc_url: str | None = None
) -> DemoResult:
    """Run the whole scenario and narrate it through `echo`, a line at a time: each step as
    ``[i/7] title``, then its observations, ``  ✓ ...`` for what went as it should and ``  ✗ ...``
    for a refusal the story expects.

    Starts an ephemeral devnet unless `rpc_url` names an anvil to use (it must accept
    `anvil_setBalance`). Raises a `LedgerError` if any step does not behave as the story says.
    """
    started = time.perf_counter()
    say = _Narrator(echo)
    with tempfile.TemporaryDirectory(prefix="ledger-demo-") as tmp:
        work = Path(tmp)
        with _devnet(work / "devnet", rpc_url) as url:
            result = _scenario(Rpc(url), work, say, started, url)
    stopped = "the anvil at --rpc left running" if rpc_url else "devnet stopped"
    echo("")
    say.ok(
        f"demo finished in {time.perf_counter() - started:.1f} s; {stopped}, "
        "temporary files removed"
    )
    return result


def _scenario(rpc: Rpc, work: Path, say: _Narrator, started: float, url: str) -> DemoResult:
    say.step("The council admits the CPR office and a municipality")
    council = [_funded(rpc) for _ in range(3)]
    deployment = deploy_suite(
        rpc, _funded(rpc), council_members=[a.address for a in council], threshold=2
    )
    say.ok(f"devnet at {url} (chain id {deployment.chain_id}); contract suite deployed")
    members = [LedgerChain(rpc, deployment, a) for a in council]
    actions = members[0].actions

    def vote(action: CouncilAction, what: str) -> None:
        outcome = council_execute(members, action)
        say.ok(f"council proposal #{outcome.proposal_id}: {what} "
               f"(executed with {outcome.votes} of {len(members)} votes)")

    cpr, municipality, broker = (_funded(rpc) for _ in range(3))
    vote(actions.register_type(VCT, CLAIM_NAMES), "register the person credential type")
    type_id = members[0].type_id_of(VCT)
    vote(actions.admit_agency(cpr.address, "CPR Office"),
         f"admit the CPR Office {_short(cpr.address)}")
    vote(actions.accredit(cpr.address, type_id),
         "accredit the CPR Office to issue person credentials")
    service_url = f"http://127.0.0.1:{free_port()}"
    LedgerChain(rpc, deployment, cpr).directory.publish(type_id, service_url)
    say.ok(f"the CPR Office published its data service for person data in the directory on "
           f"chain: {service_url}")
    vote(actions.admit_agency(municipality.address, "Københavns Kommune"),
         f"admit Københavns Kommune {_short(municipality.address)}")
    vote(actions.register_verifier(municipality.address, type_id,
                                   purpose_digest(MUNICIPALITY_PURPOSE),
                                   _mask(MUNICIPALITY_CLAIMS)),
         f"register Københavns Kommune as verifier of {', '.join(MUNICIPALITY_CLAIMS)}")
    vote(actions.register_verifier(municipality.address, type_id, purpose_digest(CASE_PURPOSE),
                                   _mask(CASE_CLAIMS), legal_basis=LegalBasis.PUBLIC_TASK),
         f"register Københavns Kommune to fetch {', '.join(CASE_CLAIMS)} for case processing "
         "(legal basis: public task)")
    vote(actions.register_verifier(municipality.address, type_id,
                                   purpose_digest(HOUSING_PURPOSE), _mask(HOUSING_CLAIMS),
                                   legal_basis=LegalBasis.CONSENT),
         f"register Københavns Kommune to fetch {', '.join(HOUSING_CLAIMS)} for housing benefit "
         "(legal basis: consent)")
    vote(actions.admit_agency(broker.address, "Nordic Data Broker ApS"),
         "admit Nordic Data Broker ApS (an agency, but registered as verifier for nothing)")

    say.step("The CPR office issues a person credential to Karen's wallet")
    cpr_chain = LedgerChain(rpc, deployment, cpr)
    key = SigningKey.generate()
    cpr_chain.register_key(key)
    say.ok(f"CPR Office registered its P-256 signing key kid={key.kid[:12]}…")
    reader = LedgerChain(rpc, deployment)
    wallet = Wallet.init(work / "wallet", secrets.token_urlsafe(16))
    with wallet, Issuer.open(cpr_chain, key, work / "cpr-outbox") as issuer:
        package = _issue(issuer, wallet)
        anchored = reader.anchor_of(cpr.address, _digest(package))
        say.ok(f"credential signed and its digest anchored on chain "
               f"(block time {anchored.anchored_at if anchored else '?'}; no personal data)")
        stored = wallet.import_credential(package, chain=reader)
        say.ok(f"Karen's wallet verified the credential (signature, anchor, accreditation, "
               f"status, holder key) and stored it encrypted as {stored.cred_id[:12]}…")

        say.step("Københavns Kommune asks for age_over_18 and municipality of residence")
        town = Verifier(LedgerChain(rpc, deployment, municipality), account=municipality)
        disclosed = _present_and_verify(say, wallet, reader, town)

        say.step("An agency not registered as a verifier asks for the CPR number")
        broker_verifier = Verifier(LedgerChain(rpc, deployment, broker), account=broker)
        purpose = "Marketing profile enrichment"
        try:
            broker_verifier.create_request(vct=VCT, claims=["cpr_number"], purpose=purpose)
        except VerifierNotRegisteredForRequest:
            say.no("the ledger SDK will not even write the request for the broker")
        else:
            raise _StoryBroken("the SDK wrote a request for an unregistered verifier")
        # A broker that writes its request some other way still meets the wallet.
        request = broker_verifier.create_request(
            vct=VCT, claims=["cpr_number"], purpose=purpose, unsafe_allow_unregistered=True
        )
        try:
            wallet.prepare_presentation(request, chain=reader)
        except WalletError as exc:
            refusal = str(exc)
            say.no(f"Karen's wallet says no — {refusal}")
        else:
            raise _StoryBroken("the wallet answered an unregistered verifier")

        say.step("The CPR office revokes the credential")
        issuer.revoke(package)
        say.ok("status bit set on chain (status list entry → revoked)")
        revoked = _present_expecting_failure(say, wallet, reader, town, package)

        say.step("The CPR office's signing key is reported stolen")
        earlier = _issue(issuer, wallet)
        wallet.import_credential(earlier, chain=reader)
        say.ok("a second credential was issued and anchored before the theft")
        rpc.call("evm_increaseTime", [1])
        cpr_chain.revoke_key(key.thumbprint)
        say.ok(f"key kid={key.kid[:12]}… revoked on chain (emergency revocation)")
        still = _present_and_verify(say, wallet, reader, town, quiet=True)
        say.ok(f"the credential anchored before the revocation still verifies: {still}")
        rpc.call("evm_increaseTime", [1])
        forged = _issue(issuer, wallet)
        stolen = _verify_forged(wallet, reader, town, forged)
        say.no(f"a credential signed with the stolen key and anchored afterwards: {stolen}")
        town.close()
        broker_verifier.close()

        say.step("Once-only: Københavns Kommune fetches Karen's data from the CPR office")
        once = _once_only(say, rpc, deployment, cpr_chain, wallet, municipality, work,
                          service_url)

    elapsed = time.perf_counter() - started
    return DemoResult(
        chain_id=deployment.chain_id,
        disclosed_to_municipality=disclosed,
        refusal_of_unregistered=refusal,
        failure_after_revocation=revoked,
        earlier_credential_after_key_theft=still,
        stolen_key_credential=stolen,
        pulled_for_case=once.pulled_for_case,
        refusal_before_consent=once.refusal_before_consent,
        pulled_after_consent=once.pulled_after_consent,
        access_log=once.access_log,
        access_log_complete=once.access_log_complete,
        seconds=elapsed,
    )


class _StoryBroken(LedgerError):
    """A demo step did not behave as the scenario says it must."""


def _mask(claims: tuple[str, ...]) -> int:
    return sum(1 << CLAIM_NAMES.index(c) for c in claims)


@dataclass(frozen=True)
class _OnceOnly:
    """What step 7 observed (see `DemoResult`)."""

    pulled_for_case: dict[str, Any]
    refusal_before_consent: str
    pulled_after_consent: dict[str, Any]
    access_log: list[dict[str, Any]]
    access_log_complete: bool


def _once_only(
    say: _Narrator, rpc: Rpc, deployment: Deployment, cpr_chain: LedgerChain, wallet: Wallet,
    municipality: LocalAccount, work: Path, service_url: str,
) -> _OnceOnly:
    """Step 7. The source and the requester keep the chain's clock (step 6 moved it ahead),
    moved on a second after each pull: receipts are dated to the second, and a log lists those
    of one second by receipt id, so the story's three accesses would show in any order."""
    block = rpc.call("eth_getBlockByNumber", ["latest", False])
    offset = [int(block["timestamp"], 16) - time.time()]

    def clock() -> float:
        return time.time() + offset[0]

    def next_second() -> None:
        offset[0] += 1

    reader = LedgerChain(rpc, deployment)
    key = SigningKey.generate()  # the stolen one is revoked: the service signs with a new one
    cpr_chain.register_key(key)
    say.ok(f"CPR Office registered a new signing key kid={key.kid[:12]}… for its data service")
    with SqliteExchangeStore(work / "cpr-exchange.db").open() as store:
        # Karen's register record: the person of her credential, her holder key known to the
        # CPR office (it issued her credential to that key).
        StoreRegister(store, clock=clock).put_many([{f: PERSON[f] for f in RECORD_FIELDS}])
        served = SqliteExchangeStore(work / "cpr-exchange.db")  # the service's own connection
        source = DataSource(
            store=served,
            register=StoreRegister(served, clock=clock),
            chain=reader,
            agency=cpr_chain.address,
            signing_key=key,
            log_key=SourceLogKey.generate(),
            pseudonym_secret=secrets.token_bytes(32),
            holder_keys=DictHolderKeys({PERSON["cpr_number"]: wallet.holder_jwk}),
            clock=clock,
        )
        with _serving(create_app(source), service_url), httpx.Client(timeout=10) as client:
            requester = DataRequester(
                chain=reader, account=municipality, client=client, clock=clock
            )
            cpr, url = requester.find_source(VCT)
            say.ok(f"Københavns Kommune finds the CPR Office's data service on chain: {url}")
            subject = str(PERSON["cpr_number"])
            case = requester.fetch(subject, VCT, CASE_CLAIMS, CASE_PURPOSE, CASE_REF,
                                   source=cpr, url=url)
            next_second()
            say.ok(f"case {CASE_REF}, legal basis public task, Karen presents nothing: the CPR "
                   f"Office answers, the municipality verifies the answer against the chain "
                   f"and sees exactly: {case.claims}")
            try:
                requester.fetch(subject, VCT, HOUSING_CLAIMS, HOUSING_PURPOSE, HOUSING_CASE_REF,
                                source=cpr, url=url)
            except ConsentMissing as exc:
                refusal = exc.code
                say.no(f"housing benefit, legal basis consent: refused ({refusal}), Karen has "
                       "not consented; the refusal is receipted too")
            else:
                raise _StoryBroken("a consent-based pull was answered without consent")
            next_second()
            consent = wallet.grant_consent(
                requester=municipality.address,
                requester_name="Københavns Kommune",
                source=cpr,
                vct=VCT,
                claims=HOUSING_CLAIMS,
                purpose=HOUSING_PURPOSE,
                expires_at=int(clock()) + 90 * 86400,
                now=int(clock()),  # the source's clock: the chain's, not this machine's
            )
            deliver(url, consent.document, client=client)
            say.ok("Karen grants consent in her wallet (signed with her holder key, for 90 "
                   "days); it is delivered to the CPR Office")
            housing = requester.fetch(subject, VCT, HOUSING_CLAIMS, HOUSING_PURPOSE,
                                      HOUSING_CASE_REF, source=cpr, url=url)
            say.ok(f"housing benefit asked again: answered, exactly {housing.claims}")
            run = anchor_receipts(store, cpr_chain)
            say.ok(f"the CPR Office anchored {run.receipts} access receipts in "
                   f"{len(run.batches)} batch(es) on chain: a root and a count, nothing personal")
            log = fetch_source_log(url, wallet.holder_key(), now=int(clock()), client=client)
    anchored = anchored_batches(reader, cpr)
    verified = wallet.access_log(log, anchored, names=lambda a: reader.agency(a).name)
    complete = verified.batches == len(anchored) and not verified.pending
    if len(verified.entries) != 3 or not complete:
        raise _StoryBroken("Karen's log does not show the three accesses, all anchored")
    say.ok(f"Karen's wallet fetched her log (challenge answered with her holder key) and "
           f"proved it complete over {verified.batches} anchored batch(es):")
    entries: list[dict[str, Any]] = []
    for e in verified.entries:
        if e.anchored_block is None:
            raise _StoryBroken(f"receipt {e.receipt_id} is not anchored")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e.time))
        say.say(f"{when} UTC  {e.requester_name}: {e.outcome}, {', '.join(e.claims)}")
        say.say(f"    purpose {e.purpose!r}, legal basis {e.legal_basis}, case {e.case_ref}; "
                f"anchored in batch {e.batch_no}, block {e.anchored_block} ✓")
        entries.append({
            "requester": e.requester_name, "outcome": e.outcome, "claims": list(e.claims),
            "purpose": e.purpose, "legal_basis": e.legal_basis, "case_ref": e.case_ref,
            "batch_no": e.batch_no, "anchored_block": e.anchored_block,
        })
    return _OnceOnly(case.claims, refusal, housing.claims, entries, complete)


@contextmanager
def _serving(app: Any, url: str) -> Iterator[None]:
    """Serve `app` under uvicorn at `url` (a loopback port) in a thread, stopped on exit."""
    port = int(url.rsplit(":", 1)[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ledger-demo-service", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise _StoryBroken(f"the CPR Office's data service did not start at {url}")
            time.sleep(0.01)
        yield
    finally:
        server.should_exit = True
        thread.join(10)


def _digest(package: CredentialPackage) -> bytes:
    import hashlib

    return hashlib.sha256(package.sd_jwt.split("~", 1)[0].encode("ascii")).digest()


def _issue(issuer: Issuer, wallet: Wallet) -> CredentialPackage:
    package = issuer.issue(PERSON, vct=VCT, holder_jwk=wallet.holder_jwk, validity=365 * 86400)
    assert isinstance(package, CredentialPackage)  # anchor="now" returns the package
    return package


def _present_and_verify(
    say: _Narrator, wallet: Wallet, chain: LedgerChain, town: Verifier, *, quiet: bool = False
) -> Any:
    request = town.create_request(
        vct=VCT, claims=list(MUNICIPALITY_CLAIMS), purpose=MUNICIPALITY_PURPOSE
    )
    prompt = wallet.prepare_presentation(request, chain=chain)
    if not quiet:
        say.ok(f"wallet checked on chain: {prompt.verifier_name} ({_short(prompt.verifier)}) "
               f"is registered for these claims and this purpose")
        say.say(f"Who asks:  {prompt.verifier_name}")
        say.say(f"Purpose:   {prompt.purpose}")
        say.say("Would show: " + ", ".join(f"{p} = {v!r}" for p, v in prompt.disclosed))
        say.ok("Karen consents")
    package = wallet.present(prompt, consent=True)
    result = town.verify(PresentationPackage.from_json(package.to_json()), request)
    if quiet:
        return "valid"
    say.ok(f"Københavns Kommune verified the presentation ({len(result.report.checks)} checks "
           f"passed, one chain read) and sees exactly: {result.claims}")
    return result.claims


def _present_expecting_failure(
    say: _Narrator, wallet: Wallet, chain: LedgerChain, town: Verifier,
    package: CredentialPackage,
) -> str:
    request = town.create_request(
        vct=VCT, claims=list(MUNICIPALITY_CLAIMS), purpose=MUNICIPALITY_PURPOSE
    )
    try:
        prompt = wallet.prepare_presentation(request, chain=chain)
        presented = wallet.present(prompt, consent=True)
    except WalletError as exc:
        say.no(f"Karen's wallet no longer offers it: {exc}")
        # A holder could still send it anyway (an old copy, another wallet): the verifier
        # must catch it on its own.
        presented = PresentationPackage(
            create_presentation(
                package.sd_jwt,
                disclose=MUNICIPALITY_CLAIMS,
                holder_key=wallet.holder_key(),
                audience=request.audience,
                nonce=request.nonce,
            ),
            package.anchor,
            package.type_id,
        )
    try:
        town.verify(presented, request)
    except VerificationError as exc:
        reason = f"{type(exc).__name__}: {exc}"
        say.no(f"presented anyway, the municipality rejects it: {reason}")
        return reason
    raise _StoryBroken("a revoked credential still verified")


def _verify_forged(
    wallet: Wallet, chain: LedgerChain, town: Verifier, forged: CredentialPackage
) -> str:
    try:
        wallet.import_credential(forged, chain=chain)
    except WalletError as exc:
        wallet_reason = str(exc)
    else:
        raise _StoryBroken("the wallet imported a credential signed with a revoked key")
    request = town.create_request(
        vct=VCT, claims=list(MUNICIPALITY_CLAIMS), purpose=MUNICIPALITY_PURPOSE
    )
    presentation = create_presentation(
        forged.sd_jwt,
        disclose=MUNICIPALITY_CLAIMS,
        holder_key=wallet.holder_key(),
        audience=request.audience,
        nonce=request.nonce,
    )
    try:
        town.verify(PresentationPackage(presentation, forged.anchor, forged.type_id), request)
    except VerificationError as exc:
        return f"wallet refuses it ({wallet_reason}); verifier rejects it ({type(exc).__name__})"
    raise _StoryBroken("a credential signed with a revoked key verified")


__all__ = ["DemoResult", "Deployment", "run_demo"]
