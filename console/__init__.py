"""regdesk console: the PySide6 windows. Calls services; writes no SQL."""
