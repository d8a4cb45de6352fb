"""Pages of the customers app for branch staff: list, customer page, forms, handovers, pool."""
