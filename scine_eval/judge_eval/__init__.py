"""Judging the judges: judge-check on rendered stimuli, agreement statistics, ablations, preference pairs."""
