"""Targets for wrk and SQL queries per request, read from the loaded bench database.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.prepare OUT_DIR

Writes OUT_DIR/<endpoint>.tsv (see wrk.lua) and OUT_DIR/endpoints.json: per endpoint its targets
file, the SQL queries one request takes (Django's test client + CaptureQueriesContext on the same
database), its status, and whether the server has the route at all (lifecycle routes may not exist
yet). Also times rank/percentile of one attempt in the largest exam.
"""

import json
import statistics
import sys
import time
from pathlib import Path

import django


def main(out: Path) -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import resolve
    from django.utils import timezone

    from attempts.choices import AttemptState
    from attempts.models import Attempt, AttemptItem
    from attempts.selectors import ranked_attempts, with_standing
    from testpress.api.auth import issue_token

    User = get_user_model()
    out.mkdir(parents=True, exist_ok=True)
    staff, _ = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    staff_token = issue_token(staff)
    tokens: dict[int, str] = {}

    def token(user_id: int) -> str:
        if user_id not in tokens:
            tokens[user_id] = issue_token(User.objects.only("id", "username", "email").get(pk=user_id))
        return tokens[user_id]

    students = list(
        Attempt.objects.filter(state=AttemptState.COMPLETED)
        .order_by("-id")
        .values_list("user_id", flat=True)[:500]
    )
    running = list(
        Attempt.objects.filter(state=AttemptState.RUNNING).order_by("id").values_list("id", "user_id")
    )
    # The end rows each end an attempt for good: they get their own share of the running attempts.
    split = len(running) * 2 // 5
    hot, to_end = running[:split], running[split:]
    first_items = {}
    for attempt_id, item_id, choice in AttemptItem.objects.filter(
        attempt_id__in=[a for a, _ in hot]
    ).values_list("attempt_id", "id", "question__answers__id"):
        first_items.setdefault(attempt_id, (item_id, choice))
    ranked = ranked_attempts().values("exam_id").annotate(n=Count("id")).order_by("-n").first()
    exam_id = ranked["exam_id"] if ranked else None
    last_user = Attempt.objects.order_by("-id").values_list("user_id", flat=True).first()
    today = timezone.localdate()

    def rows(pairs, path, method="GET", body=""):
        return [(method, path.format(a=a), token(u), body) for a, u in pairs]

    endpoints = {
        "ceiling": [("GET", "/bench/v2.1/ceiling/", token(u), "") for u in students],
        "heartbeat": rows(hot, "/api/v2.1/attempts/{a}/heartbeat/", "PUT", "{}"),
        "answer save": [
            (
                "PUT",
                f"/api/v2.1/attempts/{a}/questions/{first_items[a][0]}/",
                token(u),
                json.dumps({"selected_answers": [first_items[a][1]], "review": False}),
            )
            for a, u in hot
            if a in first_items
        ],  # fmt: skip
        "questions page": rows(hot, "/api/v2.1/attempts/{a}/questions/"),
        "end": rows(to_end, "/api/v2.1/attempts/{a}/end/", "PUT", "{}"),
        "exams list": [("GET", "/api/v2.1/exams/", token(u), "") for u in students],
        "attempts list (student)": [("GET", "/api/v2.1/attempts/", token(u), "") for u in students],
    }
    admin_cases = ["", "ordering=date", "ordering=-date"]
    admin_cases += [f"ordering={s}{f}" for f in ("correct_answers_count", "incorrect_answers_count",
                                                  "unanswered_count") for s in ("", "-")]  # fmt: skip
    admin_cases += ["state=0", "state=1", "state=3", f"date_0={today.replace(day=1).isoformat()}",
                    f"date_1={today.replace(year=today.year - 1).isoformat()}", f"users={last_user}",
                    f"exams={exam_id}"]  # fmt: skip
    for case in admin_cases:
        endpoints[f"admin attempts {case or '(no filter)'}"] = [
            ("GET", f"/api/v2.5/admin/attempts/?{case}", staff_token, "")
        ]

    client = Client()
    summary = {}
    for n, (name, targets) in enumerate(endpoints.items()):
        if not targets:
            summary[name] = {"skipped": "no data to target"}
            continue
        method, path, tok, body = targets[0] if name != "end" else targets[-1]
        if name == "end":
            targets = targets[:-1]  # the last one is ended here, to count its queries
        if resolve(path.split("?")[0]).func.__name__ == "json_not_found":
            summary[name] = {"skipped": "route not on this server yet"}
            continue
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method.lower())(
                path, data=body or None, content_type="application/json", HTTP_AUTHORIZATION=f"JWT {tok}"
            )
        file = out / f"{n:02d}.tsv"
        file.write_text("".join("\t".join(t) + "\n" for t in targets))
        summary[name] = {
            "targets": str(file),
            "queries": sum(q["sql"] not in ("BEGIN", "COMMIT") for q in captured.captured_queries),
            "status": response.status_code,
        }

    if exam_id is not None:
        middle = ranked_attempts().filter(exam_id=exam_id).order_by("score", "id")
        attempt_id = middle.values_list("id", flat=True)[ranked["n"] // 2]
        times = []
        for _ in range(5):
            started = time.perf_counter()
            list(with_standing(Attempt.objects.filter(pk=attempt_id)))
            times.append((time.perf_counter() - started) * 1000)
        summary["_rank"] = {"ranked_attempts": ranked["n"], "median_ms": statistics.median(times)}
    (out / "endpoints.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
