"""See DEVELOPERS.md for what this layer holds."""
