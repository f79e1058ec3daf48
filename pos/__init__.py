"""The Flask app and the counter: app factory, staff sign-in, cashier terminal, checkout, shifts,
receipts, the command line. Sits on top of every other package."""
