"""Inventory service: parts, categories, locations, orders and background tasks."""
