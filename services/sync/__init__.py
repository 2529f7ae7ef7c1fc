"""The change feed: what changed, whoever changed it, in cursor order."""
