"""briefing: turn a folder of news articles into sourced briefings."""

__version__ = "0.1.0"
