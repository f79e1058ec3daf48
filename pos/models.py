"""Tables of the pos package: sales, payments, shifts, print jobs."""
