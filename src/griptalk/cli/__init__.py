"""The `griptalk` command line."""
