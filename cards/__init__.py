"""Beneficiaries, their accounts and cards, the ledger, the bureau's top-up runs, the QR balance
page. Knows nothing of the terminal, the printer or the inventory."""
