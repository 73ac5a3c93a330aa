"""The chaos drill (`make drill`): see drill.__main__ and drill.scenario."""
