"""The people who sign in to the board (collection `usuarios`)."""
