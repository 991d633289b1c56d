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
