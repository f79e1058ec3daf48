"""The printing package's rules: `jobs` (queue, deliver, reprint, retry, the printer's state) and
`worker` (the background retry thread of one app)."""
