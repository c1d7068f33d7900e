"""users marts (to be written)."""
