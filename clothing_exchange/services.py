"""Domain rules of the clothing_exchange package: plain functions that take a session, flush, never commit."""
