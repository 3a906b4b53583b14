"""Generators of the synthetic test data (one module per analysis); see scripts/make_test_data.py."""
