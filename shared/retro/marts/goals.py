"""goals marts (to be written)."""
