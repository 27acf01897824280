"""The manager's settings: TV display tokens and the columns' soft limits."""
