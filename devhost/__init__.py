"""A small local host for the Functions app: serves what ``function_app.app`` registers.

It exists because the Functions Core Tools host cannot be installed on every development
machine. It is excluded from deployment (see ``.funcignore``).
"""
