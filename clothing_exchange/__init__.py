"""衣暖人心 clothing intake, clothing stock (through inventory), the quarterly allowance and claims,
give-away events. Uses cards and inventory; knows nothing of the terminal."""
