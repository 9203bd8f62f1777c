"""Review-committee tools: round-wide tables, an HTML page with plots, and submission diffs."""
