"""Real-time transport: the bus between nodes, the per-node room hub, the wire protocol."""
