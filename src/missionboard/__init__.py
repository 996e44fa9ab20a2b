"""missionboard: run mission-oriented innovation policy from one workspace."""

__version__ = "0.1.0"
