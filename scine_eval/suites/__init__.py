"""Building prompt suites: Scripts sources, the Visuals generator, phrase banks, the writer, summaries, mappers."""
