"""Web Push (RFC 8030, VAPID RFC 8292, aes128gcm RFC 8291) for the card as an installable web
app: subscriptions per card, the installation's VAPID keys, and the notifications that follow
the card's outbox events."""
