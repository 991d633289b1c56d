"""Where one exam-day request spends its time: cProfile over N requests, in-process, on the bench database.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_testpress \
        SECRET_KEY=... ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=false \
        python -m bench.profile_request heartbeat 200

Acts on running attempts of the newest exam-day exam bench/run.py loaded (heartbeat, save, questions
or start), one attempt a request, and prints the share of the time in each layer (authentication,
DRF and the view, SQL, serializers, the renderer) and the 15 functions with the most time of their own.
"""

import cProfile
import json
import pstats
import sys
import time

import django

# Where a function's own time is counted, by the path of its file; the first match wins.
LAYERS = [
    ("SQL (psycopg, the database round trip)", ("psycopg",)),
    ("ORM (query building, model instances)", ("django/db/",)),
    ("serializers (DRF fields, our serializers)", ("rest_framework/serializers", "rest_framework/fields",
                                                   "rest_framework/relations", "/api/v2_1/serializers")),
    ("authentication and throttles", ("simplejwt", "jwt/", "throttling", "authentication",
                                      "django/core/cache", "redis/")),
    ("renderer (orjson)", ("orjson", "renderers")),
    ("the engine (services, selectors, timing, scoring)", ("/attempts/", "/exams/", "/accounts/")),
    ("Django and DRF request handling", ("django/", "rest_framework/")),
]  # fmt: skip


def main(action: str, count: int) -> None:
    django.setup()
    from django.test import Client

    from attempts.choices import AttemptState
    from attempts.models import Attempt, AttemptItem
    from testpress.api.auth import issue_token

    attempts = list(
        Attempt.objects.filter(state=AttemptState.RUNNING, exam__slug__contains="-day")
        .select_related("user")
        .order_by("-id")[:count]
    )
    if len(attempts) < count:
        raise SystemExit(f"only {len(attempts)} running exam-day attempts; run bench/run.py first")
    client = Client()
    requests = []
    for attempt in attempts:
        auth = {"HTTP_AUTHORIZATION": f"JWT {issue_token(attempt.user)}"}
        base = f"/api/v2.1/attempts/{attempt.pk}/"
        if action == "save":
            item = AttemptItem.objects.filter(attempt=attempt).select_related("question").first()
            choice = item.question.answers.values_list("pk", flat=True).first()
            body = json.dumps({"selected_answers": [choice]})
            requests.append(lambda b=base, i=item.pk, a=auth, d=body: client.put(
                f"{b}questions/{i}/", d, content_type="application/json", **a))  # fmt: skip
        elif action == "questions":
            requests.append(lambda b=base, a=auth: client.get(f"{b}questions/", **a))
        else:
            requests.append(lambda b=base, a=auth, x=action: client.put(f"{b}{x}/", **a))
        client.get("/bench/v2.1/ceiling/", **auth)  # the token's user cached, as on a warm server

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    statuses = [request().status_code for request in requests]
    profiler.disable()
    elapsed = time.perf_counter() - started
    each = 1000 * elapsed / count
    print(f"{action}: {count} requests, {each:.1f} ms each in-process, statuses {set(statuses)}")

    stats = pstats.Stats(profiler)
    own = {}
    for (path, _, _), (_, _, tottime, _, _) in stats.stats.items():
        layer = next((label for label, marks in LAYERS if any(m in path for m in marks)), "other")
        own[layer] = own.get(layer, 0) + tottime
    total = sum(own.values())
    for layer, seconds in sorted(own.items(), key=lambda pair: -pair[1]):
        print(f"  {100 * seconds / total:5.1f} %  {1000 * seconds / count:6.2f} ms  {layer}")
    stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200)
