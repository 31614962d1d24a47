"""Command-line front ends: `ledger` for operators and agencies, `wallet` for citizens."""
