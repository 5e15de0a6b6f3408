"""Sources: each module fetches from one service (fetch_*) and turns its answers into records."""
