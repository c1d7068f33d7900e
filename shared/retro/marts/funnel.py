"""funnel marts (to be written)."""
