"""Engagement events (views, clicks) and the anonymous counts that survive without consent."""
