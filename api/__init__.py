"""The loyalpass service: FastAPI routes, services and SQLModel tables, one package per domain."""
