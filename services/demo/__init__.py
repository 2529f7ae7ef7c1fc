"""The demo hospital (seed) and the stand-in for the mini-program (simulator)."""
