"""Integration tests of the persisted platform."""
