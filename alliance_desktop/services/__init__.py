"""Use cases shared by the GUI and the CLI: list clients, generate a demo, export and import."""
