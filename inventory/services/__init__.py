"""Domain rules of the inventory package, one module per concept:

- `pricing`: the charity price rule (DESIGN rule 8) and exact rate/quantity conversions (pure);
- `scale`: product barcodes (EAN-13, EAN-8, UPC-A), in-store codes and scale barcodes (pure);
- `products`: the catalog's products: saving, editing, finding;
- `prices`: the allowed discount rates and dated price changes;
- `lookup`: what a scanned code means, and what a line of it costs;
- `stock`: stock movements, the only way stock changes (rule 2), and their check;
- `receiving`, `counts`, `writeoffs`: the stock operations of the back office, the API and the
  command line (one function each);
- `reports`: low and negative stock, goods received on a day;
- `catalog`: the catalog file import;
- `labels`: the barcodes drawn on shelf labels.

Plain functions that take the session first, flush and never commit; the moment (`at`), the actor
and the settings are handed in by the entry points (pages, API, command line)."""
