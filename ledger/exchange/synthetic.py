"""A synthetic Danish register for the demo, tests and benchmarks: reproducible, never real.

`synthetic_register(n, seed)` makes ``n`` subject records (default 10,000); the same ``n`` and
``seed`` give the very same records, and `write_synthetic` the very same bytes (JSON Lines,
the importer's format), on any machine with the pinned Faker.

* names, street addresses, postal codes and localities from Faker's ``da_DK`` locale; the given
  name matches the sex the CPR number's last digit encodes (odd: male, even: female);
* CPR numbers of valid form (`ledger.exchange.register.birthdate_of_cpr`): the birthdate spread
  uniformly over 1930-01-01 .. 2015-12-31, the seventh digit one that gives that century, all
  numbers distinct. They are random, so some may be someone's real number: the record around
  it is invented, and no real register was read;
* the municipality one of the 98 real Danish municipalities (`MUNICIPALITIES`), drawn uniformly
  and independently of the locality (Faker's localities are not tied to municipalities: the
  triple postal code / locality / municipality is not geographically consistent);
* nationalities: ``["DK"]`` for 95 %, else a dual or a foreign one.

Faker draws from its own seeded generator and the rest from a `random.Random` of the same seed,
so the output depends on nothing but ``n``, ``seed`` and the Faker version (pinned in
pyproject.toml).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from pathlib import Path
from typing import Any

from ledger._atomic import write_atomic
from ledger.exchange.register import birthdate_of_cpr, validate_record

__all__ = [
    "DEFAULT_PERSONS",
    "MUNICIPALITIES",
    "synthetic_record",
    "synthetic_register",
    "write_synthetic",
]

DEFAULT_PERSONS = 10_000
FIRST_BIRTHDATE = dt.date(1930, 1, 1)
LAST_BIRTHDATE = dt.date(2015, 12, 31)

#: The 98 municipalities of Denmark since 2007, by region (Hovedstaden 29, Sjælland 17,
#: Syddanmark 22, Midtjylland 19, Nordjylland 11).
MUNICIPALITIES: tuple[str, ...] = (
    # Region Hovedstaden
    "Albertslund", "Allerød", "Ballerup", "Bornholm", "Brøndby", "Dragør", "Egedal",
    "Fredensborg", "Frederiksberg", "Frederikssund", "Furesø", "Gentofte", "Gladsaxe",
    "Glostrup", "Gribskov", "Halsnæs", "Helsingør", "Herlev", "Hillerød", "Hvidovre",
    "Høje-Taastrup", "Hørsholm", "Ishøj", "København", "Lyngby-Taarbæk", "Rudersdal",
    "Rødovre", "Tårnby", "Vallensbæk",
    # Region Sjælland
    "Faxe", "Greve", "Guldborgsund", "Holbæk", "Kalundborg", "Køge", "Lejre", "Lolland",
    "Næstved", "Odsherred", "Ringsted", "Roskilde", "Slagelse", "Solrød", "Sorø", "Stevns",
    "Vordingborg",
    # Region Syddanmark
    "Assens", "Billund", "Esbjerg", "Faaborg-Midtfyn", "Fanø", "Fredericia", "Haderslev",
    "Kerteminde", "Kolding", "Langeland", "Middelfart", "Nordfyns", "Nyborg", "Odense",
    "Svendborg", "Sønderborg", "Tønder", "Varde", "Vejen", "Vejle", "Ærø", "Aabenraa",
    # Region Midtjylland
    "Favrskov", "Hedensted", "Herning", "Holstebro", "Horsens", "Ikast-Brande", "Lemvig",
    "Norddjurs", "Odder", "Randers", "Ringkøbing-Skjern", "Samsø", "Silkeborg", "Skanderborg",
    "Skive", "Struer", "Syddjurs", "Viborg", "Aarhus",
    # Region Nordjylland
    "Brønderslev", "Frederikshavn", "Hjørring", "Jammerbugt", "Læsø", "Mariagerfjord", "Morsø",
    "Rebild", "Thisted", "Vesthimmerlands", "Aalborg",
)  # fmt: skip

_OTHER_NATIONALITIES = ("SE", "NO", "DE", "PL", "GB", "FI", "IS", "NL", "FR", "UA")


def _seventh_digits(born: dt.date) -> tuple[int, ...]:
    """The seventh CPR digits that give ``born``'s century with its two-digit year."""
    yy = born.year % 100
    candidates = tuple(
        d
        for d in range(10)
        if _century_ok(d, yy, born.year - yy)
    )
    return candidates


def _century_ok(seventh: int, yy: int, century: int) -> bool:
    try:
        cpr = f"{1:02d}{1:02d}{yy:02d}-{seventh}000"
        return birthdate_of_cpr(cpr).year - yy == century
    except Exception:
        return False


def _make_cpr(rng: random.Random, born: dt.date, taken: set[str]) -> str:
    digits = _seventh_digits(born)
    stem = born.strftime("%d%m") + f"{born.year % 100:02d}"
    while True:
        cpr = f"{stem}-{rng.choice(digits)}{rng.randrange(1000):03d}"
        if cpr not in taken:
            taken.add(cpr)
            return cpr


def synthetic_record(fake: Any, rng: random.Random, taken: set[str]) -> dict[str, Any]:
    """One synthetic subject: ``fake`` a seeded ``Faker("da_DK")``, ``rng`` a seeded Random,
    ``taken`` the CPR numbers already made (extended)."""
    span = (LAST_BIRTHDATE - FIRST_BIRTHDATE).days
    born = FIRST_BIRTHDATE + dt.timedelta(days=rng.randrange(span + 1))
    cpr = _make_cpr(rng, born, taken)
    male = int(cpr[-1]) % 2 == 1
    roll = rng.random()
    if roll < 0.95:
        nationalities = ["DK"]
    elif roll < 0.98:
        nationalities = ["DK", rng.choice(_OTHER_NATIONALITIES)]
    else:
        nationalities = [rng.choice(_OTHER_NATIONALITIES)]
    record = {
        "cpr_number": cpr,
        "given_name": fake.first_name_male() if male else fake.first_name_female(),
        "family_name": fake.last_name(),
        "birthdate": born.isoformat(),
        "address": {
            "street_address": fake.street_address(),
            "postal_code": fake.postcode(),
            "locality": fake.city(),
            "municipality": rng.choice(MUNICIPALITIES),
        },
        "nationalities": nationalities,
    }
    return validate_record(record)


def synthetic_register(n: int = DEFAULT_PERSONS, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` synthetic subject records, the same for the same ``n`` and ``seed``."""
    from faker import Faker

    if n < 0 or n > 5_000_000:
        raise ValueError("n must be between 0 and 5,000,000")
    fake = Faker("da_DK")
    fake.seed_instance(seed)
    rng = random.Random(f"ledger.exchange.synthetic:{seed}")
    taken: set[str] = set()
    return [synthetic_record(fake, rng, taken) for _ in range(n)]


def write_synthetic(path: str | os.PathLike[str], n: int = DEFAULT_PERSONS, seed: int = 0) -> Path:
    """Write `synthetic_register` (n, seed) to ``path`` as JSON Lines (UTF-8, keys sorted, one
    record a line), atomically; the same arguments write the same bytes. Returns the path."""
    lines = (
        json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        for r in synthetic_register(n, seed)
    )
    target = Path(path)
    write_atomic(target, "".join(line + "\n" for line in lines))
    return target
