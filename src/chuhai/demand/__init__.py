"""Demand: when a pinned product sells out during a room; forecasts and reorders after."""
