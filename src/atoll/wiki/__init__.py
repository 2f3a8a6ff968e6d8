"""Wiki: living pages with their whole history in every space."""
