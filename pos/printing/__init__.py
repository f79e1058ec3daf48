"""Receipt printing: documents (what to print), one layout engine in display columns, an ESC/POS
adapter over python-escpos (GB18030/GBK encoded here), print jobs with retries, and an HTML
preview of the very same layout."""
