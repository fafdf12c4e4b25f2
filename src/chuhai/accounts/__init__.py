"""Orgs, staff, customers, sessions and API tokens."""
