"""steelsage: open commodity intelligence for the steel chain."""

__version__ = "0.1.0"
