"""MLPerf Inference submissions."""
