"""Proving a contact: one-time codes that let a visitor open the card of a phone or email."""
