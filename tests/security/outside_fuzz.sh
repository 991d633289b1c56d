#!/usr/bin/env bash
# Outside fuzzer: serve the API as production does and let schemathesis attack it over loopback HTTP.
#
# What it does, in order:
#   1. creates a scratch PostgreSQL database (postgres://postgres@127.0.0.1:5432, unique name) or, with
#      --sqlite, a scratch SQLite file; migrates it and loads `manage.py seed_demo`;
#   2. starts gunicorn (gunicorn.conf.py, 2 workers) on a free 127.0.0.1 port with
#      testpress.settings.prod: a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, SECURE_SSL_REDIRECT=0,
#      CACHE_URL locmem (or Redis with --redis), throttle rates raised so the fuzzer is not throttled;
#      every request carries `X-Forwarded-Proto: https`, as nginx in front would send;
#   3. logs in through POST /api/v2.1/auth-token/ as the students testpress and demouser and as the
#      staff user admin (passwords "demo"), and lists through the API the ids and slugs that exist;
#   4. runs `schemathesis run` with every phase (examples, coverage, fuzzing, stateful) and every check,
#      bounded by --max-examples and a fixed --seed, against the served documents:
#        student-v2.1  /api/schema/?version=v2.1 as testpress (demouser is the peer for the
#                      object_level_authorization check, which needs two users)
#        staff-v2.1    /api/schema/?version=v2.1 as admin
#        staff-v2.5    /api/schema/?version=v2.5 (the admin API) as admin
#      Half of the generated path ids and slugs name objects that exist, and now and then a string is
#      taken from a small dictionary of edge cases (see EDGE_STRINGS below);
#   5. prints a summary per run (one line per distinct failure, then the 5xx the server logged) and
#      exits 1 when any check failed, 0 when every check passed, 2 on a setup error or an interrupted
#      run.
# gunicorn is stopped and the scratch database dropped on every exit (also on Ctrl-C).
#
# Output in tests/output/outside_fuzz/ (git-ignored; emptied at the start of each run):
#   <run>.txt (the CLI's output, with a curl reproduction per failure), <run>.junit.xml,
#   schema-v2.1.json, schema-v2.5.json, identifiers.json, seed_demo.log and gunicorn.log (access log,
#   and the traceback of every 500).
# The seed fixes what is generated; the stateful phase also feeds on the server's answers (new ids,
# clock times), so runs on a different machine or day may differ in a few failures.
#
# Usage (from a checkout after `make install`; 3-6 minutes on 2 cores with the defaults):
#   tests/security/outside_fuzz.sh [--sqlite] [--redis] [--max-examples N] [--seed N]
#                                  [--only student-v2.1,staff-v2.1,staff-v2.5]
# Environment: FUZZ_MAX_EXAMPLES (100), FUZZ_SEED, FUZZ_REDIS_DB (15) and FUZZ_RUN_TIMEOUT (900 s
# per run) set the same defaults.
set -Eeuo pipefail
cd "$(dirname "$0")/../.."

MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-100}
SEED=${FUZZ_SEED:-20240601}
REDIS_DB=${FUZZ_REDIS_DB:-15}
DATABASE=postgres
CACHE=locmem
ONLY=student-v2.1,staff-v2.1,staff-v2.5
PG=postgres://postgres@127.0.0.1:5432
OUT=tests/output/outside_fuzz
# A safety net only: a run killed by it loses its JUnit report (the .txt keeps what was printed).
RUN_TIMEOUT=${FUZZ_RUN_TIMEOUT:-900}

usage() { sed -n '2,/^set -Eeuo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
    case $1 in
        --sqlite) DATABASE=sqlite ;;
        --redis) CACHE=redis ;;
        --max-examples) MAX_EXAMPLES=$2; shift ;;
        --seed) SEED=$2; shift ;;
        --only) ONLY=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

IFS=, read -ra RUNS <<<"$ONLY"
for run in "${RUNS[@]}"; do
    [[ $run =~ ^(student-v2\.1|staff-v2\.1|staff-v2\.5)$ ]] || { echo "unknown run: $run" >&2; exit 2; }
done

PY=.venv/bin/python
for tool in "$PY" .venv/bin/gunicorn .venv/bin/schemathesis; do
    [[ -x $tool ]] || { echo "$tool is missing: run \`make install\` first" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT"
SCRATCH=$(mktemp -d)
RUN_ID="outside_fuzz_$(date +%Y%m%d_%H%M%S)_$$"
GUNICORN_PID=
DB_CREATED=

cleanup() {
    local status=$?
    trap - EXIT ERR INT TERM
    if [[ -n $GUNICORN_PID ]] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$GUNICORN_PID" 2>/dev/null || true
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    if [[ -n $DB_CREATED ]]; then
        "$PY" - "$PG/postgres" "$RUN_ID" <<'PY' || echo "could not drop database $RUN_ID" >&2
import sys
import psycopg
from psycopg import sql
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(sys.argv[2])))
PY
    fi
    rm -rf "$SCRATCH"
    exit "$status"
}
trap cleanup EXIT
# A setup step that fails ends the run with 2, whatever its own exit code.
trap 'exit 2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n== %s\n' "$*"; }
START=$SECONDS

# --- database ---------------------------------------------------------------------------------
if [[ $DATABASE == postgres ]]; then
    step "database: PostgreSQL $RUN_ID"
    "$PY" - "$PG/postgres" "$RUN_ID" <<'PY'
import sys
import psycopg
from psycopg import sql
with psycopg.connect(sys.argv[1], autocommit=True, connect_timeout=5) as conn:
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(sys.argv[2])))
PY
    DB_CREATED=1
    export DATABASE_URL="$PG/$RUN_ID"
else
    step "database: SQLite $SCRATCH/db.sqlite3"
    export DATABASE_URL="sqlite:///$SCRATCH/db.sqlite3"
fi

# --- production settings ----------------------------------------------------------------------
export DJANGO_SETTINGS_MODULE=testpress.settings.prod
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(60))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=0
if [[ $CACHE == redis ]]; then
    # Throttle counts and page counts are keyed by user id, which every scratch database reuses:
    # pick a Redis database nobody else uses (FUZZ_REDIS_DB).
    export CACHE_URL="redis://127.0.0.1:6379/$REDIS_DB"
else
    export CACHE_URL=locmemcache://
fi
# The fuzzer sends far more than a person; at the real rates most of its requests would get a 429.
for scope in READ WRITE LOGIN_USERNAME LOGIN_IP; do
    export "THROTTLE_${scope}_RATE=100000/min"
done
export LOG_LEVEL=WARNING

step "migrate and seed_demo"
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo >"$OUT/seed_demo.log"

# --- gunicorn ---------------------------------------------------------------------------------
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
step "gunicorn on $BASE (log: $OUT/gunicorn.log)"
GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_WORKERS=2 GUNICORN_TIMEOUT=60 \
    .venv/bin/gunicorn testpress.wsgi -c gunicorn.conf.py >"$OUT/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "$BASE/api/schema/?version=v2.1" 2>/dev/null && break
    kill -0 "$GUNICORN_PID" 2>/dev/null || { echo "gunicorn exited:" >&2; tail -n 30 "$OUT/gunicorn.log" >&2; exit 2; }
    sleep 0.5
done
for version in v2.1 v2.5; do
    curl -fsS "$BASE/api/schema/?version=$version&format=json" -o "$OUT/schema-$version.json"
done

# --- tokens and the identifiers the fuzzer may name ----------------------------------------------
token() {
    curl -fsS -X POST "$BASE/api/v2.1/auth-token/" -H 'Content-Type: application/json' \
        -d "{\"username\": \"$1\", \"password\": \"demo\"}" |
        "$PY" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
STUDENT_TOKEN=$(token testpress)
PEER_TOKEN=$(token demouser)
STAFF_TOKEN=$(token admin)

# One schemathesis config per run. Random ids and slugs almost always miss (a 404 tests nothing past
# the lookup), so half of the generated path parameters name objects the API itself lists: the running
# attempt and its question items, finished attempts, exam slugs, users and exams. `end/` only gets
# finished attempts, so the running one stays open for the answer-save operation. The admin's own user
# id is left out of them.
# The student run authenticates through a Web Fuzzing Commons document that also lists demouser: the
# peer that object_level_authorization replays testpress's reads as. The on-disk cache is off, so one
# run never feeds the next.
"$PY" - "$BASE" "$SCRATCH" "$STUDENT_TOKEN" "$PEER_TOKEN" "$STAFF_TOKEN" >"$OUT/identifiers.json" <<'PY'
import base64
import json
import sys
import urllib.request
from pathlib import Path

base, scratch, student, peer, staff = sys.argv[1:]
scratch = Path(scratch)


def rows(path, token):
    request = urllib.request.Request(
        f"{base}{path}?per_page=1000",
        headers={"Authorization": f"JWT {token}", "X-Forwarded-Proto": "https"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["results"]


def staff_user_id():
    payload = staff.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["user_id"]


attempts = rows("/api/v2.5/admin/attempts/", staff)
running = [a["id"] for a in attempts if a["state"] == "Running"]
ids = {
    "running": running,
    "finished": [a["id"] for a in attempts if a["state"] != "Running"],
    "attempt": [a["id"] for a in attempts],
    "item": [i["id"] for a in running for i in rows(f"/api/v2.5/admin/attempts/{a}/user_answers/", staff)],
    "slug": sorted(
        {
            exam["slug"]
            for token in (student, peer)
            for path in ("", "available/", "upcoming/", "history/")
            for exam in rows(f"/api/v2.1/exams/{path}", token)
        }
    ),
    "exam": [e["id"] for e in rows("/api/v2.5/admin/exams/", staff)],
    "user": [u["id"] for u in rows("/api/v2.5/admin/users/", staff) if u["id"] != staff_user_id()],
}
assert ids["running"] and ids["item"] and ids["slug"], f"seed_demo gave nothing to aim at: {ids}"


# A fuzzing dictionary of edge cases for every string, now and then: case and Unicode forms that
# normalize to an existing username, non-ASCII digits, invisible and bidi characters, quoting. And
# empty or bare items for the comma-separated `ordering`. Generic, not aimed at one endpoint.
EDGE_STRINGS = [
    "ＡＤＭＩＮ", "ａdmin", "Admin", "testpress ", "ＴＥＳＴＰＲＥＳＳ", "ﬁ", "İ", "ß",
    "١٢", "²", "1e3", "-0", "NaN", "Infinity",
    "a\u200bb", "\u202etxt", "' OR '1'='1", "%", "_", "\\", "../", "<b>x</b>",
]
LIST_EDGES = [",", ",,", "-", "--", " "]


def binding(key, dictionary, probability=0.5):
    return f'"{key}" = {{ dictionary = "{dictionary}", probability = {probability} }}'


def toml(dictionaries, everywhere, per_path, head=""):
    # NUL in any parameter or field is refused with a 400 naming it, by design (README, Deployment), and
    # tests/api/test_input_limits.py covers that; generated, it only made schema-valid requests "rejected".
    lines = [head, "[cache]", "enabled = false", "", "[generation]", "allow-x00 = false", ""]
    for name in dictionaries:
        # Path parameters are documented as strings (pattern ^[0-9]+$ for ids).
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps([str(v) for v in ids[name]])}", ""]
    lines += ["[dictionaries.edge_strings]", f"values = {json.dumps(EDGE_STRINGS)}", ""]
    lines += ["[dictionaries.list_edges]", f"values = {json.dumps(LIST_EDGES)}", ""]
    lines += ["[generation.dictionaries]", 'string = { dictionary = "edge_strings", probability = 0.05 }', ""]
    lines += [
        "[parameters]",
        binding("query.ordering", "list_edges", 0.2),
        *(binding(f"path.{p}", d) for p, d in everywhere.items()),
        "",
    ]
    for regex, bindings in per_path.items():
        inline = ", ".join(binding(f"path.{p}", d) for p, d in bindings.items())
        lines += ["[[operations]]", f"include-path-regex = {json.dumps(regex)}", f"parameters = {{ {inline} }}", ""]
    return "\n".join(lines)


student_api = dict(
    dictionaries=["running", "finished", "attempt", "item", "slug"],
    everywhere={"id": "attempt", "slug": "slug"},
    per_path={
        r"/questions/\{item_id\}/$": {"id": "running", "item_id": "item"},
        r"/\{id\}/end/$": {"id": "finished"},
    },
)
wfc = {
    "auth": [
        {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"JWT {token}"}]}
        for name, token in (("testpress", student), ("demouser", peer))
    ]
}
(scratch / "students.wfc.json").write_text(json.dumps(wfc))
wfc_head = "\n".join(
    [
        "[auth.wfc]",
        f"path = {json.dumps(str(scratch / 'students.wfc.json'))}",
        'user = "testpress"',
        'peers = ["testpress", "demouser"]',
        "",
    ]
)
(scratch / "student-v2.1.toml").write_text(toml(**student_api, head=wfc_head))
(scratch / "staff-v2.1.toml").write_text(toml(**student_api))
(scratch / "staff-v2.5.toml").write_text(
    toml(
        dictionaries=["attempt", "exam", "user"],
        everywhere={},
        per_path={
            r"^/api/v2\.5/admin/attempts/": {"id": "attempt"},
            r"^/api/v2\.5/admin/exams/": {"id": "exam"},
            r"^/api/v2\.5/admin/users/": {"id": "user"},
        },
    )
)
# The PATCH of the admin users may deactivate the very user the staff run sends the token of, or change
# its password (which ends its tokens), and every later request of the run would be a 401: those two
# fields are dropped from those requests.
(scratch / "hooks.py").write_text(
    f"""import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    own = case.operation.path.endswith("/admin/users/{{id}}/") and str(case.path_parameters.get("id")) == "{staff_user_id()}"
    if case.method == "PATCH" and own and isinstance(case.body, dict):
        case.body.pop("is_active", None)
        case.body.pop("password", None)
"""
)
print(json.dumps(ids, indent=1))
PY

# --- schemathesis -----------------------------------------------------------------------------
# Hypothesis keeps its caches beside the working directory unless told otherwise.
export HYPOTHESIS_STORAGE_DIRECTORY="$SCRATCH/hypothesis"
declare -A RESULT
fuzz() {
    local name=$1 version=$2 token=$3
    shift 3
    step "schemathesis: $name (/api/schema/?version=$version)"
    local started=$SECONDS status=0
    SCHEMATHESIS_HOOKS="$SCRATCH/hooks.py" timeout --signal=INT --kill-after=30 "$RUN_TIMEOUT" \
        .venv/bin/schemathesis --config-file "$SCRATCH/$name.toml" \
        run "$BASE/api/schema/?version=$version&format=json" \
        --url "$BASE" \
        --phases examples,coverage,fuzzing,stateful \
        --checks all \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$SEED" \
        --generation-database none \
        --workers 1 \
        --request-timeout 30 \
        --header 'X-Forwarded-Proto: https' \
        --report junit --report-junit-path "$OUT/$name.junit.xml" \
        --no-color \
        "$@" >"$OUT/$name.txt" 2>&1 || status=$?
    RESULT[$name]="exit $status, $((SECONDS - started)) s"
    tail -n 25 "$OUT/$name.txt"
    # Ctrl-C reaches gunicorn too (one process group): no point in the runs left.
    if ! kill -0 "$GUNICORN_PID" 2>/dev/null; then
        RESULT[$name]+=", gunicorn stopped (interrupted?): the runs left are skipped"
        INCOMPLETE=1
        return
    fi
    # Should the fuzzer ever disable the user it runs as, the rest of its requests only got 401s.
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: JWT $token" "$BASE/api/v2.1/exams/")
    if [[ $code != 200 ]]; then
        RESULT[$name]+=", LOCKED OUT: its token now gets $code, so later requests were refused"
    fi
}

INCOMPLETE=
for run in "${RUNS[@]}"; do
    [[ -z $INCOMPLETE ]] || break
    case $run in
        student-v2.1) fuzz student-v2.1 v2.1 "$STUDENT_TOKEN" ;;
        staff-v2.1) fuzz staff-v2.1 v2.1 "$STAFF_TOKEN" --header "Authorization: JWT $STAFF_TOKEN" ;;
        staff-v2.5) fuzz staff-v2.5 v2.5 "$STAFF_TOKEN" --header "Authorization: JWT $STAFF_TOKEN" ;;
    esac
done

# --- summary ----------------------------------------------------------------------------------
step "summary (max-examples $MAX_EXAMPLES, seed $SEED, $DATABASE, cache $CACHE, $((SECONDS - START)) s in all)"
failed=0
for run in "${RUNS[@]}"; do
    echo "$run: ${RESULT[$run]:-not run}"
    [[ ${RESULT[$run]:-} == "exit 0,"* ]] || failed=1
done
"$PY" - "$OUT" "${RUNS[@]}" <<'PY'
"""Failures per run from the JUnit reports (one line per failing check and operation), then the 5xx."""
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

out = Path(sys.argv[1])
for run in sys.argv[2:]:
    report = out / f"{run}.junit.xml"
    if not report.exists():
        print(f"  {run}: no JUnit report (see {out / (run + '.txt')})")
        continue
    lines = set()
    testcases = list(ET.parse(report).getroot().iter("testcase"))
    for testcase in testcases:
        for problem in [*testcase.iter("failure"), *testcase.iter("error")]:
            for case in re.split(r"^\d+\. Test Case ID: \S+$", problem.text or "", flags=re.M)[1:]:
                # Stateful failures are reported under "Stateful tests": name the request instead.
                # A stateful failure lists every request of its scenario; the last one failed.
                curls = re.findall(r"^\s*curl -X (\S+) .*?https?://[^/\s']+(/[^?'\s]*)", case, flags=re.M)
                curl = curls[-1] if curls else None
                where = testcase.get("name")
                if curl and not where.startswith(("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")):
                    where = f"{curl[0]} {curl[1]} ({where})"
                status = re.search(r"^\[(\d{3})\][^\n]*\n\n\s*`?([^\n]*)", case, flags=re.M)
                code, body = (status[1], status[2].strip("`")) if status else ("-", "")
                for check in re.finditer(r"^- (.+)\n\n((?:    .*\n?)+)", case, flags=re.M):
                    detail = [line.strip() for line in check[2].splitlines() if line.strip()]
                    if check[1].startswith("ST202"):
                        note = body  # why the valid request was refused
                    elif check[1].startswith("ST201"):
                        note = detail[-1]  # which part was invalid
                    else:
                        note = detail[0]
                    lines.add(f"{check[1]} | {where} -> {code} | {note[:110]}")
    print(f"  {run}: {len(testcases)} operations tested, {len(lines)} distinct failures")
    for line in sorted(lines):
        print(f"    {line}")

statuses, server_errors = Counter(), Counter()
for line in (out / "gunicorn.log").read_text(errors="replace").splitlines():
    access = re.match(r'\S+ \S+ \S+ \[[^]]+\] "(\S+) (\S+)[^"]*" (\d{3}) ', line)
    if access:
        statuses[access[3]] += 1
        if access[3].startswith("5"):
            server_errors[f"{access[1]} {access[2].split('?')[0]} -> {access[3]}"] += 1
print("  responses by status (gunicorn.log):", ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
for request, count in sorted(server_errors.items()):
    print(f"    5xx x{count}: {request}")
PY
echo "reports: $OUT/"
[[ -z $INCOMPLETE ]] || exit 2
exit "$failed"
