"""The source's register of subjects: who the CPR office knows, behind one small interface.

`SubjectRegister` is what the data service asks: ``lookup(subject_id, *, now)`` returns the
claims of the CPR person type for that subject, or None if the register does not know it;
``put_many(records)`` stores validated records (all or nothing); ``count()``.

The claims (names of the person credential type, `ledger.demo.CLAIM_NAMES`)::

    given_name, family_name, birthdate (ISO date), cpr_number,
    address {street_address, postal_code, locality, municipality},
    nationalities (ISO 3166-1 alpha-2 codes), age_over_18, age_over_65

``age_over_18`` and ``age_over_65`` are computed from the birthdate at ``now``, never stored:
a stored flag would go stale on the subject's birthday.

`validate_record` is the one place that says what a record is; the importer, the synthetic
register and the stores all go through it. Its errors name the field, never the CPR number
(`InvalidSubjectRecord`, `InvalidCprNumber` for the number itself).

CPR numbers (DDMMYY-SSSS): the seventh digit (first of SSSS) and the two-digit year give the
century (CPR office, "Personnummeret i CPR-systemet"):

======================  ===========  ===========
seventh digit           year 00–36   year 37–99
======================  ===========  ===========
0, 1, 2, 3              1900s        1900s
4, 9                    2000s        1900s
5, 6, 7, 8              2000s (00–57)  1800s (58–99)
======================  ===========  ===========

The date must exist (no 31 April) and match the record's birthdate. The modulus-11 check is not
applied: the CPR office dropped it in 2007, and numbers without it are valid.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ledger._rand import Clock
from ledger.errors import InvalidCprNumber, InvalidSubjectRecord

if TYPE_CHECKING:
    from ledger.exchange.store import ExchangeStore

__all__ = [
    "ADDRESS_FIELDS",
    "RECORD_FIELDS",
    "StoreRegister",
    "SubjectRegister",
    "birthdate_of_cpr",
    "subject_claims",
    "validate_cpr",
    "validate_record",
]

#: Top-level fields of a stored record (all required).
RECORD_FIELDS = ("cpr_number", "given_name", "family_name", "birthdate", "address", "nationalities")
#: Members of ``address`` (all required).
ADDRESS_FIELDS = ("street_address", "postal_code", "locality", "municipality")

#: Longest text accepted in any field (a name, a street address).
MAX_TEXT = 200
#: Most nationalities one subject may have.
MAX_NATIONALITIES = 8

_CPR = re.compile(r"\A([0-9]{2})([0-9]{2})([0-9]{2})-([0-9])([0-9]{3})\Z")
_POSTAL_CODE = re.compile(r"\A[0-9]{4}\Z")
_COUNTRY = re.compile(r"\A[A-Z]{2}\Z")
_ISO_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _century(seventh: int, yy: int) -> int:
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def birthdate_of_cpr(cpr: str) -> dt.date:
    """The birthdate a CPR number encodes; `InvalidCprNumber` if it is not DDMMYY-SSSS with a
    date that exists. The message never repeats the number."""
    if not isinstance(cpr, str):
        raise InvalidCprNumber("cpr_number: not a string", field="cpr_number")
    m = _CPR.match(cpr)
    if m is None:
        raise InvalidCprNumber(
            "cpr_number: not of the form DDMMYY-SSSS (ten digits, a hyphen after the sixth)",
            field="cpr_number",
        )
    dd, mm, yy, seventh = int(m[1]), int(m[2]), int(m[3]), int(m[4])
    try:
        return dt.date(_century(seventh, yy) + yy, mm, dd)
    except ValueError:
        raise InvalidCprNumber(
            "cpr_number: its first six digits are not a date that exists (DDMMYY)",
            field="cpr_number",
        ) from None


def validate_cpr(cpr: object) -> str:
    """`cpr` if it is a well-formed CPR number (`birthdate_of_cpr`), else `InvalidCprNumber`."""
    if not isinstance(cpr, str):
        raise InvalidCprNumber("cpr_number: not a string", field="cpr_number")
    birthdate_of_cpr(cpr)
    return cpr


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidSubjectRecord(f"{field}: not a string", field=field)
    text = value.strip()
    if not text:
        raise InvalidSubjectRecord(f"{field}: empty", field=field)
    if len(text) > MAX_TEXT:
        raise InvalidSubjectRecord(f"{field}: longer than {MAX_TEXT} characters", field=field)
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text):
        raise InvalidSubjectRecord(f"{field}: holds a control character", field=field)
    return text


def validate_record(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of a subject record, or `InvalidSubjectRecord` naming the first bad field.

    Required: every field of `RECORD_FIELDS`, ``address`` with every member of
    `ADDRESS_FIELDS`; unknown fields are refused (a typo must not silently drop data). Texts are
    stripped; the birthdate is an ISO date (YYYY-MM-DD) equal to the one the CPR number encodes;
    the postal code has four digits; nationalities are 1 to `MAX_NATIONALITIES` distinct
    upper-case ISO 3166-1 alpha-2 codes, kept in their given order.
    """
    if not isinstance(raw, Mapping):
        raise InvalidSubjectRecord("the record is not an object", field="")
    unknown = sorted(set(raw) - set(RECORD_FIELDS))
    if unknown:
        raise InvalidSubjectRecord(f"unknown field {unknown[0]!r}", field=str(unknown[0]))
    for name in RECORD_FIELDS:
        if name not in raw or raw[name] is None:
            raise InvalidSubjectRecord(f"{name}: missing", field=name)

    cpr = validate_cpr(raw["cpr_number"])
    birthdate = raw["birthdate"]
    if not isinstance(birthdate, str) or _ISO_DATE.match(birthdate) is None:
        raise InvalidSubjectRecord("birthdate: not an ISO date (YYYY-MM-DD)", field="birthdate")
    try:
        born = dt.date.fromisoformat(birthdate)
    except ValueError:
        raise InvalidSubjectRecord(
            "birthdate: not a date that exists", field="birthdate"
        ) from None
    if born != birthdate_of_cpr(cpr):
        raise InvalidCprNumber(
            "cpr_number: does not encode the record's birthdate", field="cpr_number"
        )

    address = raw["address"]
    if not isinstance(address, Mapping):
        raise InvalidSubjectRecord("address: not an object", field="address")
    unknown = sorted(set(address) - set(ADDRESS_FIELDS))
    if unknown:
        raise InvalidSubjectRecord(
            f"address: unknown member {unknown[0]!r}", field=f"address.{unknown[0]}"
        )
    clean_address: dict[str, str] = {}
    for name in ADDRESS_FIELDS:
        field = f"address.{name}"
        if name not in address or address[name] is None:
            raise InvalidSubjectRecord(f"{field}: missing", field=field)
        clean_address[name] = _text(address[name], field)
    if _POSTAL_CODE.match(clean_address["postal_code"]) is None:
        raise InvalidSubjectRecord(
            "address.postal_code: not four digits", field="address.postal_code"
        )

    nationalities = raw["nationalities"]
    if not isinstance(nationalities, list | tuple) or not nationalities:
        raise InvalidSubjectRecord(
            "nationalities: not a non-empty list", field="nationalities"
        )
    if len(nationalities) > MAX_NATIONALITIES:
        raise InvalidSubjectRecord(
            f"nationalities: more than {MAX_NATIONALITIES}", field="nationalities"
        )
    for code in nationalities:
        if not isinstance(code, str) or _COUNTRY.match(code) is None:
            raise InvalidSubjectRecord(
                "nationalities: each must be a two-letter upper-case country code (DK)",
                field="nationalities",
            )
    if len(set(nationalities)) != len(nationalities):
        raise InvalidSubjectRecord("nationalities: a code repeats", field="nationalities")

    return {
        "cpr_number": cpr,
        "given_name": _text(raw["given_name"], "given_name"),
        "family_name": _text(raw["family_name"], "family_name"),
        "birthdate": born.isoformat(),
        "address": clean_address,
        "nationalities": list(nationalities),
    }


def _age_at(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def subject_claims(record: Mapping[str, Any], *, now: float | dt.datetime) -> dict[str, Any]:
    """The claims of a stored record at ``now`` (Unix seconds or an aware datetime; the date
    is taken in UTC): the record's fields plus ``age_over_18`` and ``age_over_65``.

    Someone born on 29 February turns a year older on 1 March in a common year (her birthday
    has not come on 28 February), as Danish law counts it.
    """
    when = now if isinstance(now, dt.datetime) else dt.datetime.fromtimestamp(now, dt.UTC)
    today = when.astimezone(dt.UTC).date() if when.tzinfo is not None else when.date()
    age = _age_at(dt.date.fromisoformat(record["birthdate"]), today)
    claims = {
        "given_name": record["given_name"],
        "family_name": record["family_name"],
        "birthdate": record["birthdate"],
        "cpr_number": record["cpr_number"],
        "address": dict(record["address"]),
        "nationalities": list(record["nationalities"]),
        "age_over_18": age >= 18,
        "age_over_65": age >= 65,
    }
    return claims


class SubjectRegister(Protocol):
    """The source's register of subjects, as the data service and the importer use it."""

    def lookup(self, subject_id: str, *, now: float | dt.datetime) -> dict[str, Any] | None:
        """The claims of the subject (`subject_claims` at ``now``), or None if unknown."""
        ...

    def put_many(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Validate and store `records` in one transaction (all or nothing); a subject already
        in the register is replaced. Returns how many were stored."""
        ...

    def count(self) -> int:
        """How many subjects the register holds."""
        ...


class StoreRegister:
    """`SubjectRegister` over an open `ExchangeStore` (its ``subjects`` table); ``clock`` dates
    the stored records."""

    def __init__(self, store: ExchangeStore, *, clock: Clock = time.time) -> None:
        self._store = store
        self._clock = clock

    def lookup(self, subject_id: str, *, now: float | dt.datetime) -> dict[str, Any] | None:
        """The claims of the subject at ``now``, or None if the register does not hold it (a
        malformed ``subject_id`` is simply not held: no error tells it apart)."""
        record = self._store.get_subject(subject_id)
        return None if record is None else subject_claims(record, now=now)

    def put_many(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Validate every record first, then store them all in one transaction."""
        records = [validate_record(r) for r in records]
        return self._store.put_subjects(records, now=int(self._clock()))

    def count(self) -> int:
        """How many subjects the store holds."""
        return self._store.count_subjects()
