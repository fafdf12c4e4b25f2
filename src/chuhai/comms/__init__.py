"""Cross-cultural communication: translation, screening against each market's law and
culture, PII protection, and localization advice."""
