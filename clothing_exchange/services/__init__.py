"""The clothing exchange's rules, one module per concept:

- `intake_file`: reading 衣暖人心 intake files (no database);
- `intake`: recording intake batches as clothing stock;
- `stock`: the clothing product of each kind/size/season, and stock by kind and size;
- `allowance`: the quarter's allowance, and `allowance_for`, the answer handed to cards;
- `claims`: items taken against the allowance (at the counter, at events) and given back;
- `events`: give-away events;
- `reports`: what was collected and given, who has not used the quarter's item.

Plain functions that take a session, flush and never commit. The names the packages above use
(checkout, the terminal, the app factory) are re-exported here.
"""

from clothing_exchange.services.allowance import allowance_for, status_for
from clothing_exchange.services.claims import claim_for_sale, release_claims
from clothing_exchange.services.intake import record_intake
from clothing_exchange.services.stock import clothing_product

__all__ = [
    "allowance_for",
    "claim_for_sale",
    "clothing_product",
    "record_intake",
    "release_claims",
    "status_for",
]
