"""Staff members, their PIN sign-in, and the scanner they use at the till."""
