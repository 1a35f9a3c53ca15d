"""Signed webhooks (Standard Webhooks): endpoints per merchant, events written in the change's
transaction, delivered by a polling loop with retries, a delivery log and replay."""
