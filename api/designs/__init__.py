"""Card designs as data: per program, versioned, in the database (images by SHA-256)."""
