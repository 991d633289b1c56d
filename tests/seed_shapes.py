"""Key sets the v2.1 seed prints (../shared/seeds/004_782cde8ce352fda5.txt), plus the spec's extras."""

EXAM_LIST_KEYS = {
    "url", "id", "title", "description", "course", "start_date", "end_date", "duration",
    "number_of_questions", "negative_marks", "mark_per_question", "template_type", "allow_retake",
    "max_retakes", "enable_ranks", "rank_publishing_date", "attempts_url", "allow_pdf", "created", "slug",
    "variable_mark_per_question", "show_answers", "comments_count",
}  # fmt: skip
EXAM_DETAIL_KEYS = EXAM_LIST_KEYS | {"attempts"}
# The exam nested in an attempt: the seed leaves out attempts_url and comments_count.
NESTED_EXAM_KEYS = EXAM_LIST_KEYS - {"attempts_url", "comments_count"}
# "What the mobile clients in the field also need".
EXAM_EXTRA_KEYS = {"attempts_count", "paused_attempts_count", "languages"}
# Part 3: the timer mode and what the student is shown.
EXAM_FLAG_KEYS = {
    "show_score", "show_percentile", "show_pass_or_fail", "disable_attempt_resume",
    "allow_preemptive_section_ending", "is_offline_exam", "grace_duration_for_offline_submission",
}  # fmt: skip
EXAM_EXTRA_KEYS |= EXAM_FLAG_KEYS

# An attempt inside an exam detail (the seed's `attempts` list).
ATTEMPT_SUMMARY_KEYS = {
    "url", "id", "user", "date", "total_questions", "score", "review_url", "questions_url", "percentile",
    "correct_count", "incorrect_count", "last_started_time", "remaining_time", "time_taken", "state", "rank",
    "max_rank", "percentage", "unanswered_count",
}  # fmt: skip
# An attempt of the attempts lists and detail.
ATTEMPT_KEYS = ATTEMPT_SUMMARY_KEYS | {
    "exam", "commented_questions_count", "comments_count", "allow_retake", "remaining_attempts",
    "total_bonus",
}  # fmt: skip
ATTEMPT_EXTRA_KEYS = {"sections", "speed", "accuracy", "rank_enabled"}
