"""Perception: turning camera frames into what the assistant can act on."""
