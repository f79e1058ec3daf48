"""The shared kernel: database base and session, money, periods, config, staff auth, errors, and
the small web and CLI helpers every domain package uses. It imports no domain package."""
