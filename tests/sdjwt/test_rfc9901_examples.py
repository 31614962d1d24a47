"""RFC 9901's own examples, from tests/vectors/sdjwt/rfc9901_examples.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.sdjwt._reconstruct import reconstruct
from ledger.sdjwt.disclosures import digest_of, parse_disclosure
from tests.sdjwt._harness import VECTORS, load_yaml

EXAMPLES = load_yaml(VECTORS / "sdjwt" / "rfc9901_examples.yaml")
BY_SECTION = {d["section"]: d for d in EXAMPLES["disclosures"]}


@pytest.mark.parametrize("example", EXAMPLES["disclosures"], ids=lambda d: d["section"])
def test_rfc_disclosure_digest_matches(example: dict[str, Any]) -> None:
    assert digest_of(example["encoded"]) == example["digest"]


@pytest.mark.parametrize("example", EXAMPLES["disclosures"], ids=lambda d: d["section"])
def test_rfc_disclosure_decodes_to_its_contents(example: dict[str, Any]) -> None:
    disc = parse_disclosure(example["encoded"])
    contents = example["contents"]
    assert disc.salt == contents[0]
    assert (disc.name, disc.value) == (
        (contents[1], contents[2]) if len(contents) == 3 else (None, contents[1])
    )
    assert disc.digest == example["digest"]


def test_rfc_section_5_1_payload_processes_to_the_rfc_result() -> None:
    section = EXAMPLES["section_5_1"]
    discs = [parse_disclosure(BY_SECTION[name]["encoded"]) for name in section["presented"]]
    claims, used = reconstruct(section["payload"], discs)
    assert claims == section["processed"]
    assert len(used) == len(discs)
