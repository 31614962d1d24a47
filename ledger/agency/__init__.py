"""Agency SDK building blocks: issuance outbox, status indexes, presentation requests, reports.

These modules do not talk to the chain themselves; the issuer and verifier modules tie them to
the typed chain client.
"""
