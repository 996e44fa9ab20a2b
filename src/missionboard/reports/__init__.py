"""Charts and documents made from analytics results."""
