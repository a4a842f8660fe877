"""The simulator TUI (Textual)."""
