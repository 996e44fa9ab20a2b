"""What a consultation's responses say: themes, proposals matched to objectives and SDGs, ratings."""

from missionboard.consultation.synthesis import synthesise

__all__ = ["synthesise"]
