"""Shoppable short video: probe, transcode to an HLS ladder, store, tag products, publish."""
