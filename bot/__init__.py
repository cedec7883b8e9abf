"""The application: command grammar, dispatcher, config, templates, timers, outbox, web, CLI."""
