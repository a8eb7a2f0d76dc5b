"""chooser."""
