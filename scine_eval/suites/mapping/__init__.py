"""From free prompt text to taxonomy controls: a lexicon mapper and an LLM mapper behind one interface."""
