"""service marts (to be written)."""
