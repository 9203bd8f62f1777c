"""CLI command groups beyond validate; each module has register(app)."""
