"""The service desk itself: records, rules and use cases. No chat SDK, no HTTP."""
