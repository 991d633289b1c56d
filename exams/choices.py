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


class TemplateType(models.IntegerChoices):
    """Which exam screen the student apps open the exam in (the API's `template_type`).

    The apps draw the screens; the server only stores the code and returns it. 1 is every exam's
    default; the API's published sample gives 4 to an "NBE Template" exam. What 2 and 3 look like
    is the apps' business, so they are named by their number.
    """

    STANDARD = 1, "Standard (1)"
    TEMPLATE_2 = 2, "Template 2"
    TEMPLATE_3 = 3, "Template 3"
    NBE = 4, "NBE pattern (4)"
