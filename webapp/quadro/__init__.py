"""The Kanban board for mechanics and managers (pages, actions, live updates)."""
