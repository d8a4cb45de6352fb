"""Marketing's tables: each is tenant-owned, under row-level security."""
