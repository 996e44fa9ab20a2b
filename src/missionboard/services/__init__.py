"""Use cases shared by the CLI, the web app and the API: each takes a Workspace and plain arguments."""
