"""Results to text: item and diagnostic listings, JSON, GitHub annotations, reports, progress."""
