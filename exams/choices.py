from django.db import models


class QuestionType(models.TextChoices):
    SINGLE = "R", "Single correct choice"
    MULTIPLE = "C", "Multiple correct choices"
    NUMERICAL = "N", "Numerical value"
    ESSAY = "E", "Essay (marked by staff)"


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class ExamType(models.TextChoices):
    """What an exam is for; staff filter the admin exam list by it (?exam_type=mock)."""

    PRACTICE = "practice", "Practice test"
    MOCK = "mock", "Mock test"
    FINAL = "final", "Final exam"
