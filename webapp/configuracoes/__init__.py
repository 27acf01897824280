"""The manager's settings: TV passes (what lets a TV open the wall) and the columns' soft
limits."""
