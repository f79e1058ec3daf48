"""Tables of the inventory package."""
