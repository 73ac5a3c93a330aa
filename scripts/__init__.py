"""The project's tools: the clinical safety documents' machinery and the import contracts."""
