"""Receipt printing: documents (what to print), text measured and broken as a GB18030 printer
draws it (`text`: cells, 禁则), one layout engine in display columns, an ESC/POS adapter over
python-escpos (GB18030/GBK encoded here; rare characters drawn by `raster`, the sale number as
CODE128 by `code128`), print jobs with retries, and an HTML preview of the very same layout."""
