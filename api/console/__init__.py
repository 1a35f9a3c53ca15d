"""The merchant console: members, programs with a live card preview, stores, campaigns and
charts, as server-rendered pages signed in with an API key."""
