"""Cross-border pricing: landed cost from dated, sourced rules; FX; restricted goods."""
