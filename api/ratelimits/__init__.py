"""A rate limiter shared by every process through the database (see service.py)."""
