"""Products, SKUs, HS codes, origin, media and per-market listings."""
