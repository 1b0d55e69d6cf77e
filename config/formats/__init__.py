"""Our date formats per language (settings.FORMAT_MODULE_PATH), over Django's own locale formats:
dates shown the way each language writes them, and ISO (YYYY-MM-DD) first among the input formats,
so every date input shows and accepts ISO in every language (the others are still accepted)."""
