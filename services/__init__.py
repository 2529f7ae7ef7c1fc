"""regdesk services: the booking domain, database access, files and network. No Qt here."""
