"""Test helpers shared across test packages (fake servers, builders)."""
