"""What the operator of the installation sees (not one merchant's business): certificate
expiry, the wallets' channels, the outbox lag and pending pushes; ``/metrics``,
``GET /api/v1/operator/status`` and the console's status page read the same service."""
