"""Executors beyond the local process pool (see synth.generate.EXECUTORS)."""
