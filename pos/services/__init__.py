"""The counter's rules, one module per concept: `checkout` (quote and sale), `refunds`, `shifts`,
`held` (held sales), `holder` (a card as the counter sees it), `receipts` (the documents printed),
`dashboard` (the back office's figures) and `verify` (`charity ledger verify`).

Plain functions taking the session first; they flush and never commit, and take the moment and
the settings explicitly. The API, the pages and the command line call them and commit once."""
