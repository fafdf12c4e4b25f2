"""Marketing sends: a seller's message to its past buyers, sent only to those who agreed."""
