"""Contenders of a race, as people clicking: each opens the page its button is on (which gives
it the CSRF token), waits for the common start, posts once and follows the redirect to the page
it lands on. The same steps run in a thread of the test process (`race_in_threads`) or in an OS
process of its own (`race_in_processes`, through race_worker.py), and what each was answered is
plain data (`Answer`), so one test can assert the same things of both.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from django.conf import settings
from django.test import Client

from bench.load import run_together

# Seconds a race may take to start (processes import Django first) and to finish.
START_TIMEOUT = 60
FINISH_TIMEOUT = 120
# How often a waiting process looks for the start signal.
POLL_SECONDS = 0.001
READY_PREFIX = "ready-"
GO_FILE = "go"

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# One message of templates/partials/messages.html: its level (Bootstrap's name) and text.
ALERT = re.compile(
    r'<div class="alert alert-(?P<level>\w+) alert-dismissible[^"]*" role="alert">\s*(?P<text>.*?)\s*<button',
    re.DOTALL,
)


# --- Reading a page -----------------------------------------------------------------------------
def csrf_token_in(page: str) -> str:
    """The CSRF token of the first form on `page` (what a browser posts back)."""
    found = CSRF_INPUT.search(page)
    if found is None:
        raise AssertionError("the page has no form with a CSRF token")
    return found.group(1)


def alerts_in(page: str) -> list[tuple[str, str]]:
    """The messages a page shows, as (level, text): level is "success", "info", "warning" or
    "danger" (an error)."""
    return [(found["level"], html.unescape(found["text"])) for found in ALERT.finditer(page)]


# --- One contender ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Contender:
    """Who posts what: `session` is the key of a signed-in session (empty for the public
    enrollment link), `page` the page holding the button, `post` where the button posts."""

    name: str
    page: str
    post: str
    data: dict = field(default_factory=dict)
    session: str = ""


@dataclass
class Answer:
    """What a contender was answered. `status` and `location` are the POST's; `landing_status`,
    `alerts` and `page` (unescaped text) are the page it then saw: the redirect's target, or the
    POST's own page when it did not redirect. `started` and `ended` (epoch seconds) time the POST.
    `exception` is the traceback of anything the request raised (the test client re-raises what
    would have been a 500). `emails` counts the emails sent in the contender's process."""

    name: str
    status: int = 0
    location: str = ""
    landing_status: int = 0
    alerts: list[tuple[str, str]] = field(default_factory=list)
    page: str = ""
    started: float = 0.0
    ended: float = 0.0
    exception: str = ""
    emails: int = 0

    @property
    def redirected(self) -> bool:
        return self.status == 302

    def says(self, level: str, text: str) -> bool:
        """Whether a message of `level` contains `text`."""
        return any(shown_level == level and text in shown for shown_level, shown in self.alerts)

    def overlaps(self, other: Answer) -> bool:
        """Whether the two POSTs were in flight at one moment: a race, not one after the other."""
        return self.started < other.ended and other.started < self.ended


def answer_to(contender: Contender, *, start: Callable[[], object]) -> Answer:
    """Open the page, wait for `start()` to return, post, follow the redirect (one hop)."""
    answer = Answer(name=contender.name)
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if contender.session:
        client.cookies[settings.SESSION_COOKIE_NAME] = contender.session
    try:
        page = client.get(contender.page)
        if page.status_code != 200:
            raise AssertionError(f"{contender.page} answered {page.status_code} before the race")
        data = {**contender.data, "csrfmiddlewaretoken": csrf_token_in(page.content.decode())}
        start()
        answer.started = time.time()
        response = client.post(contender.post, data)
        answer.ended = time.time()
        answer.status, answer.location = response.status_code, response.get("Location", "")
        landing = client.get(answer.location) if answer.redirected else response
        answer.landing_status = landing.status_code
        text = landing.content.decode()
        answer.alerts, answer.page = alerts_in(text), html.unescape(text)
    except Exception:  # reported with the answer, so the test shows what the request raised
        answer.exception = traceback.format_exc()
    return answer


# --- Races --------------------------------------------------------------------------------------
def race_in_threads(contenders: list[Contender]) -> list[Answer]:
    """Each contender in a thread of this process, with its own database connection."""
    ready = threading.Barrier(len(contenders))
    start = partial(ready.wait, timeout=START_TIMEOUT)
    outcomes = run_together([partial(answer_to, contender, start=start) for contender in contenders])
    return [
        outcome if isinstance(outcome, Answer) else Answer(name=contender.name, exception=repr(outcome))
        for contender, outcome in zip(contenders, outcomes, strict=True)
    ]


def race_in_processes(contenders: list[Contender], *, env: dict[str, str], sync: Path) -> list[Answer]:
    """Each contender in an OS process of its own (race_worker.py) with the environment `env`
    (DATABASE_URL pointing at the shared database). Each says it is ready with a file in `sync`;
    once all are, one file starts them all."""
    sync.mkdir(parents=True, exist_ok=True)
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TASKS_BACKEND": "immediate",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "RACE_SYNC": str(sync),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.security.race_worker", json.dumps(asdict(contender))],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for contender in contenders
    ]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not all((sync / f"{READY_PREFIX}{contender.name}").exists() for contender in contenders):
            stopped = [process for process in processes if process.poll() is not None]
            if stopped:
                raise AssertionError(f"a contender stopped before the race:\n{stopped[0].communicate()[1]}")
            if time.monotonic() > deadline:
                raise AssertionError("the contenders were not ready in time")
            time.sleep(0.01)
        (sync / GO_FILE).touch()
        answers = []
        for process in processes:
            out, err = process.communicate(timeout=FINISH_TIMEOUT)
            if process.returncode:
                raise AssertionError(f"a contender failed with exit code {process.returncode}:\n{err}")
            answers.append(Answer(**json.loads(out.strip().splitlines()[-1])))
        return answers
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def wait_for_go(name: str, sync: Path) -> None:
    """A process contender's start: say it is ready, then wait for the signal."""
    (sync / f"{READY_PREFIX}{name}").touch()
    deadline = time.monotonic() + START_TIMEOUT
    while not (sync / GO_FILE).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("no start signal")
        time.sleep(POLL_SECONDS)


def contender_from_json(text: str) -> Contender:
    return Contender(**json.loads(text))


def answer_as_json(answer: Answer) -> str:
    return json.dumps(asdict(answer), ensure_ascii=False)
