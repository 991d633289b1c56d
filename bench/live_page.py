"""Time the exam-day live page on a loaded PostgreSQL database and EXPLAIN ANALYZE each of its queries.

    createdb -h 127.0.0.1 -U postgres live_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/live_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_load --exams 1 --students 60000 --attempts 50000 --running 20000 --seed 1
    DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python -m bench.live_page --simulate

seed_load leaves its running attempts untouched since their start, so --simulate first makes the
exam look mid-way (in SQL, once): each running attempt's last request 0–5 minutes ago and a share of
its items answered (attempt id mod 21 twentieths: 0 % to 100 %), each saved 0–30 minutes ago; and
2,000 refused requests on its completed attempts over the last hour. Then the page is requested
--runs times by a teacher (staff with exams.view_exam and attempts.view_attempt, as the page asks)
through Django's test client in this process: median and slowest server time, then each query of one
request with its EXPLAIN ANALYZE execution time.
"""

import argparse
import os
import secrets
import statistics
import time

import django

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))


def simulate(exam_id: int) -> None:
    from django.db import connection

    from attempts.choices import AttemptState

    running, completed = AttemptState.RUNNING, AttemptState.COMPLETED
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE attempts_attempt SET clock_checked_at = now() - random() * interval '5 minutes' "
            "WHERE exam_id = %s AND state = %s",
            [exam_id, running],
        )
        cursor.execute(
            "UPDATE attempts_attemptitem i SET selected_answers = '[1]'::jsonb, "
            "duration = interval '40 seconds', modified = now() - random() * interval '30 minutes' "
            "FROM attempts_attempt a WHERE i.attempt_id = a.id AND a.exam_id = %s AND a.state = %s "
            "AND random() < (a.id %% 21) / 20.0",
            [exam_id, running],
        )
        cursor.execute(
            "INSERT INTO attempts_refusedrequest (attempt_id, exam_id, user_id, code, action, at) "
            "SELECT id, exam_id, user_id, 'attempt_completed', 'save', now() - random() * interval '1 hour' "
            "FROM attempts_attempt WHERE exam_id = %s AND state = %s ORDER BY id LIMIT 2000",
            [exam_id, completed],
        )
        cursor.execute("VACUUM ANALYZE attempts_attempt, attempts_attemptitem, attempts_refusedrequest")


def main(runs: int, simulate_first: bool) -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from attempts.choices import AttemptState
    from exams.models import Exam

    exam = Exam.objects.annotate(n=Count("attempts")).order_by("-n").first()
    if simulate_first:
        simulate(exam.pk)
    attempts = exam.attempts.aggregate(
        all=Count("pk"), running=Count("pk", filter=Q(state=AttemptState.RUNNING))
    )
    teacher, _ = get_user_model().objects.update_or_create(
        username="live-teacher", defaults={"is_staff": True, "is_superuser": False}
    )
    teacher.user_permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label="exams", codename="view_exam")
            | Q(content_type__app_label="attempts", codename="view_attempt")
        )
    )
    client = Client()
    client.force_login(teacher)
    url = f"/admin/exams/exam/{exam.pk}/live/"

    def get():
        response = client.get(url, secure=True)
        assert response.status_code == 200, response.status_code
        return response

    get()
    get()  # warm: connections, templates, permissions' content types
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"exam {exam.pk}: {attempts['all']:,} attempts ({attempts['running']:,} running); "
        f"live page, {runs} runs: median {statistics.median(times):.1f} ms, slowest {max(times):.1f} ms"
    )

    with CaptureQueriesContext(connection) as queries:
        get()
    print(f"{len(queries)} queries in one request:")
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.startswith("SELECT"):
                print(f"  {'':>9}  {sql[:110]}")
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0][0]
            print(f"  {plan['Execution Time']:7.2f} ms  {sql[:110]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--simulate", action="store_true", help="make the running attempts look mid-exam first"
    )
    options = parser.parse_args()
    main(options.runs, options.simulate)
