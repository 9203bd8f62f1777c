"""The MLPerf Training suite: discover, facts (logs, system descriptions, scores), rules, tables."""
