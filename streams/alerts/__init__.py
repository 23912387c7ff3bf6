"""Alert router: ``alerts`` -> every subscriber whose filter matches (console, webhook, Telegram)."""
