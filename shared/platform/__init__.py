"""Settings, typed config, storage clients, errors and the small utilities every room uses."""
