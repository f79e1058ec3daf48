"""Domain rules of the cards package, one module per concept: people (`beneficiaries`), their
cards (`cards`), the ledger (`ledger`, `statement`, `verify`), the roster import (`roster_file`,
`roster`), the monthly top-up (`topup_preview`, `topup`, `expiry`), the fund statement
(`fund_report`, `fund_xlsx`) and what the public balance page reads (`balance`).

Plain functions that take the session first, flush and never commit; the moment (`at`) and the
store's timezone (`tz`) are always handed in."""
