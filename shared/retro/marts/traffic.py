"""traffic marts (to be written)."""
