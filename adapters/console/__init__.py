"""The local console: a chat session in the terminal, for trying deskbot and for tests."""

from adapters.console.session import ConsoleSession
from adapters.console.sender import ConsoleSender

__all__ = ["ConsoleSession", "ConsoleSender"]
