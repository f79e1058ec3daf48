"""Tables of the cards package."""
