"""Rosters (排班): master data, templates, published sessions and their changes, the roster workbook and its import."""
