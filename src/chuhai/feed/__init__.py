"""The interest feed: live and upcoming rooms ranked for a market, and for a person when
they allow personalization."""
