"""Market profiles: the countries chuhai sells into, as sourced rules data."""
