"""The suites mlcheck checks: each in its own folder, with the same file names."""
