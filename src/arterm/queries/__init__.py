"""Read models: plain frozen dataclasses, never live ORM objects."""
