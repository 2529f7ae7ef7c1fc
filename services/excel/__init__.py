"""Excel files: the day list and week roster exports and the cell helpers shared with the import."""
