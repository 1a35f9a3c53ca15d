"""Email and SMS: the messages outbox, its sender, the channels (SMTP, SMS.ru, Twilio), SMS
segment counting, per-channel consent and one-click unsubscribe links."""
