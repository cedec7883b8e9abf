"""The local console: a chat session in the terminal, for trying deskbot and for tests."""

from adapters.console.sender import ConsoleSender
from adapters.console.session import ConsoleSession

__all__ = ["ConsoleSession", "ConsoleSender"]
