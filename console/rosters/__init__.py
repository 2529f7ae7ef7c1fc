"""The roster screen: the week grid, the session dialogs, the templates, Excel import and export."""
