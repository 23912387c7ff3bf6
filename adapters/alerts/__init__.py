"""Alert sinks: console (rich), webhook (JSON POST) and Telegram (Bot API ``sendMessage``)."""
