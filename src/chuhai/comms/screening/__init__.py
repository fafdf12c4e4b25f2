"""Screening of every line against each market's advertising law, culture and platform
rules (packs in rules/screening), and PII protection for public chat."""
