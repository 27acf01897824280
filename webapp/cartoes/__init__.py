"""The cards every screen shows (the board, the TV, the indicators, the job card): pure view
models built from stored items (cards.py)."""
