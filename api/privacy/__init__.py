"""Personal data by law: a member's data export, erasure that keeps the books, retention."""
