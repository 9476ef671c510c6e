"""Service layer. Each module grew its own way of handling sessions."""
