"""Live rooms: chat, pins, Q&A, polls, likes, moderation; host and viewer pages; replay."""
