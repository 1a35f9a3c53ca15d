"""What every people-facing HTML page shares: language, rendering, the friendly error page."""
