"""HTTP edges: problem+json, request dependencies, console pages."""
