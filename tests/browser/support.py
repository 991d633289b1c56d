"""What the browser scenarios share besides fixtures: screenshots and calls to the student API."""

import json
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

SCREENSHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"


def screenshot(page, name: str) -> Path:
    """Saves the whole page under tests/output/screenshots/<name>.png (git-ignored) to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def api(live_server, method: str, path: str, body: dict | None = None, token: str | None = None):
    """(status, JSON body) of a request to the live server, as a student's app sends it."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"JWT {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = Request(f"{live_server.url}{path}", data=data, headers=headers, method=method)
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def token_for(live_server, username: str, password: str) -> str:
    status, body = api(
        live_server, "POST", "/api/v2.1/auth-token/", {"username": username, "password": password}
    )
    assert status == 200, body
    return body["token"]


def block_other_hosts(page, live_server) -> list[str]:
    """Lets the page reach only the live server; returns the list that every other URL it tried lands in.

    The app must serve everything its pages need: an empty list at the end says no CDN was asked.
    """
    attempted = []

    def route(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    page.context.route("**/*", route)
    return attempted


def editor(page, field_id: str):
    """The rich-text editor (exams/widgets.py) that stands in for the textarea `field_id` on an admin form."""
    return page.locator(".prose-editor", has=page.locator(f"#{field_id}")).locator(".ProseMirror")


def write_in_editor(page, field_id: str, text: str) -> None:
    """Types `text` into the rich-text editor of `field_id`, as staff would."""
    box = editor(page, field_id)
    box.click()
    page.keyboard.type(text)
