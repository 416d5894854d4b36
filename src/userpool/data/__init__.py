"""Data files shipped with userpool (the common-password blocklist), and their loaders."""
