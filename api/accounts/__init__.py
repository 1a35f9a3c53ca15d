"""People who sign in to the console: accounts, invitations, password resets, sessions."""
