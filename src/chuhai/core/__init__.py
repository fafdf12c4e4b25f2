"""Foundations every domain package stands on: config, stores, errors, money, auth."""
