"""Products, the charity price, stock movements, receiving and counts, shelf labels. Knows nothing
of cards or the terminal."""
