"""Tables of the clothing_exchange package."""
