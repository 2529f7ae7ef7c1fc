"""Who may act: staff accounts and log-in, actors and permissions, the audit log, the log-in throttle, database accounts."""
