"""Device simulator: synthetic sensors and scenes for running the runtime without hardware."""
