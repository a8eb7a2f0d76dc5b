"""firm."""
