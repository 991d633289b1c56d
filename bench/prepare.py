"""Targets for the load generators and SQL queries per request, read from the loaded bench database.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.prepare OUT_DIR DAY_TAG SPLITS STORM_TAG CREATES

DAY_TAG names the exam-day exam run.py loads fresh each run (seed_load --tag): its running
attempts, each a different student, are the ones heartbeat, answer save, questions page, end and the
exam-day mix act on (fresh, so a reused database never hands out attempts a past run ended or ran
out of time). End consumes its attempts: each of the SPLITS gunicorn configurations gets its own.

STORM_TAG names the storm exam (seed_load --tag, no attempts but one): its students, none with an
attempt, create attempts. Each configuration gets its own share of them: CREATES for the create row,
the rest for the start storm (OUT_DIR/storm-<k>.json, see storm.py).

Writes OUT_DIR/<n>.tsv (see wrk.lua), OUT_DIR/examday.json (see examday.py) and
OUT_DIR/endpoints.json: per endpoint its targets file(s), the SQL queries one request takes
(Django's test client + CaptureQueriesContext on the same database) and its status. Also times
rank/percentile (with_standing) of one attempt in the largest exam: median of 50, in-process.
"""

import json
import statistics
import sys
import time
from pathlib import Path

import django

END_SHARE = 4  # a quarter of the exam-day attempts are for the end rows
# Rows whose requests use their targets up (an attempt ends once, a student creates once): each
# configuration gets a disjoint share.
CONSUMING = ("end", "create")


def main(out: Path, day_tag: str, splits: int, storm_tag: str, creates: int) -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, Min
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import resolve
    from django.utils import timezone

    from attempts import scoring
    from attempts.choices import AttemptState
    from attempts.models import Attempt, AttemptItem
    from attempts.selectors import ranked_attempts, with_standing
    from exams.models import Answer, Exam
    from testpress.api.auth import issue_token

    User = get_user_model()
    out.mkdir(parents=True, exist_ok=True)
    # A superuser: the admin API asks limited staff for model permissions (two queries more a request),
    # and the admin rows measure the endpoints. update_or_create: a reused database may hold plain staff.
    staff, _ = User.objects.update_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    staff_token = issue_token(staff)

    students = list(
        Attempt.objects.filter(state=AttemptState.COMPLETED)
        .order_by("-id")
        .values_list("user_id", flat=True)[:500]
    )
    running = list(
        Attempt.objects.filter(state=AttemptState.RUNNING, exam__slug__startswith=f"load-{day_tag}-")
        .order_by("id")
        .values_list("id", "user_id")
    )
    if len(running) < 100 * splits:
        raise SystemExit(f"the exam-day exam {day_tag!r} has only {len(running)} running attempts")
    users = {}
    ids = sorted({u for _, u in running} | set(students))
    for start in range(0, len(ids), 5000):  # one query a chunk, not one a token
        users.update(
            User.objects.only("id", "username", "email", "token_version").in_bulk(ids[start : start + 5000])
        )
    tokens = {pk: issue_token(user) for pk, user in users.items()}

    cut = len(running) - len(running) // END_SHARE
    hot, to_end = running[:cut], running[cut:]
    items: dict[int, list[tuple[int, int]]] = {}
    for attempt_id, item_id, question_id in (
        AttemptItem.objects.filter(attempt_id__in=[a for a, _ in hot], order__lte=5)
        .order_by("attempt_id", "order")
        .values_list("attempt_id", "id", "question_id")
    ):
        items.setdefault(attempt_id, []).append((item_id, question_id))
    question_ids = {q for pairs in items.values() for _, q in pairs}
    choice = dict(
        Answer.objects.filter(question_id__in=question_ids)
        .values("question_id")
        .annotate(first=Min("id"))
        .values_list("question_id", "first")
    )

    def save(attempt_id: int, item_id: int, question_id: int) -> tuple[str, str]:
        body = json.dumps({"selected_answers": [choice[question_id]], "review": False})
        return f"/api/v2.1/attempts/{attempt_id}/questions/{item_id}/", body

    hot = [(a, u) for a, u in hot if a in items]
    (out / "examday.json").write_text(
        json.dumps(
            [
                [tokens[u], f"/api/v2.1/attempts/{a}/heartbeat/", [save(a, i, q) for i, q in items[a]]]
                for a, u in hot
            ]
        )
    )

    ranked = ranked_attempts().values("exam_id").annotate(n=Count("id")).order_by("-n").first()
    exam_id = ranked["exam_id"] if ranked else None
    last_user = Attempt.objects.order_by("-id").values_list("user_id", flat=True).first()
    today = timezone.localdate()
    wrk_hot = hot[:10000]  # wrk holds every row in memory per thread; 10,000 attempts is plenty to spread

    def rows(pairs, path, method="GET", body=""):
        return [(method, path.format(a=a), tokens[u], body) for a, u in pairs]

    end_rows = rows(to_end, "/api/v2.1/attempts/{a}/end/", "PUT", "{}")
    # The storm exam's students: none has an attempt of it (but seed_load's one), so each may create one.
    storm_exam = Exam.objects.get(slug=f"load-{storm_tag}-1")
    storm_path = f"/api/v2.1/exams/{storm_exam.slug}/attempts/"
    starters = list(
        User.objects.filter(username__startswith=f"load-{storm_tag}-")
        .exclude(attempts__exam=storm_exam)
        .order_by("id")
    )
    share = len(starters) // splits
    creators = []
    for k in range(splits):
        mine = starters[k * share : (k + 1) * share]
        creators.extend(mine[:creates])
        (out / f"storm-{k}.json").write_text(
            json.dumps([[issue_token(u), storm_path] for u in mine[creates:]])
        )
    # One per configuration; create_rows are split among the configurations as the end rows are.
    create_rows = [("POST", storm_path, issue_token(u), "{}") for u in creators]
    endpoints = {
        # The stack with no work and no database: an unreadable token is a 401 before any view runs.
        "bare ceiling (401)": [("GET", "/api/v2.1/exams/", "not-a-token", "")],
        "ceiling": [("GET", "/bench/v2.1/ceiling/", tokens[u], "") for u in students],
        "heartbeat": rows(wrk_hot, "/api/v2.1/attempts/{a}/heartbeat/", "PUT", "{}"),
        "answer save": [
            ("PUT", path, tokens[u], body) for a, u in wrk_hot for path, body in [save(a, *items[a][0])]
        ],
        "questions page": rows(wrk_hot, "/api/v2.1/attempts/{a}/questions/"),
        "start (running attempt)": rows(wrk_hot, "/api/v2.1/attempts/{a}/start/", "PUT", "{}"),
        "end": end_rows,
        "create": create_rows,
        "exams list": [("GET", "/api/v2.1/exams/", tokens[u], "") for u in students],
        "attempts list (student)": [("GET", "/api/v2.1/attempts/", tokens[u], "") for u in students],
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
        method, path, tok, body = targets[-1]
        if name in CONSUMING:
            targets = targets[:-1]  # the last one is acted on here, to count its queries
        if resolve(path.split("?")[0]).func.__name__ == "json_not_found":
            summary[name] = {"skipped": "route not on this server yet"}
            continue
        # The token's user is cached between requests (accounts.selectors.signed_in_user), as on a
        # server that has seen this student before: count the request's own queries. A row that can be
        # asked twice is asked once first, so the count is the warm one a load sees (the exam's paper
        # cached, exams/paper.py); one that uses its target up (end, create) is counted cold.
        client.get("/bench/v2.1/ceiling/", HTTP_AUTHORIZATION=f"JWT {tok}")
        if name not in CONSUMING:
            getattr(client, method.lower())(
                path, data=body or None, content_type="application/json", HTTP_AUTHORIZATION=f"JWT {tok}"
            )
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method.lower())(
                path, data=body or None, content_type="application/json", HTTP_AUTHORIZATION=f"JWT {tok}"
            )
        files = []
        # Rows that consume their targets (end, create) get a disjoint share per configuration.
        shares = splits if name in CONSUMING else 1
        for k in range(shares):
            file = out / f"{n:02d}-{k}.tsv"
            file.write_text("".join("\t".join(t) + "\n" for t in targets[k::shares]))
            files.append(str(file))
        summary[name] = {
            "targets": files,
            "queries": sum(q["sql"] not in ("BEGIN", "COMMIT") for q in captured.captured_queries),
            "status": response.status_code,
        }

    if exam_id is not None:
        middle = ranked_attempts().filter(exam_id=exam_id).order_by("score", "id")
        attempt_id = middle.values_list("id", flat=True)[ranked["n"] // 2]
        times = []
        for _ in range(51):
            started = time.perf_counter()
            standing = with_standing(Attempt.objects.filter(pk=attempt_id)).get()
            times.append((time.perf_counter() - started) * 1000)
        times = times[1:]  # the first pays for the connection and the plan cache
        with connection.cursor() as cursor:
            sql, params = with_standing(Attempt.objects.filter(pk=attempt_id)).query.sql_with_params()
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
        rank, _ = scoring.rank_and_percentile(
            higher=standing.ranked_above_count, ranked=standing.ranked_count
        )
        summary["_rank"] = {
            "ranked_attempts": ranked["n"],
            "median_ms": statistics.median(times),
            "runs": len(times),
            "explain_execution_ms": plan[0]["Execution Time"],
            "rank": rank,
            "of": standing.ranked_count,
        }
    summary["_examday"] = {"targets": str(out / "examday.json"), "students": len(hot)}
    summary["_storm"] = {
        "targets": [str(out / f"storm-{k}.json") for k in range(splits)],
        "students": share - creates,
    }
    (out / "endpoints.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
