"""Goals has no marts of its own: it reads the sales marts and the other sections' totals."""
