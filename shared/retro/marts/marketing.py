"""marketing marts (to be written)."""
