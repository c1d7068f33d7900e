"""fulfilment marts (to be written)."""
