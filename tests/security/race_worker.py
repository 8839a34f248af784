"""One contender of a process race (tests/security/test_races.py), in an OS process of its own:
`python -m tests.security.race_worker '<contender as JSON>'`, with DATABASE_URL pointing at the
shared database and RACE_SYNC naming the folder of the start signal. It sets Django up as the
test runner does (the test client's host allowed, emails kept in memory), runs the contender
(tests.security.contenders.answer_to) and prints its answer as one line of JSON."""

import os
import sys
from pathlib import Path

import django


def main(contender_json: str) -> None:
    django.setup()
    # After setup: these import models and the URLconf.
    from django.core import mail
    from django.test.utils import setup_test_environment

    from tests.security.contenders import answer_as_json, answer_to, contender_from_json, wait_for_go

    setup_test_environment()
    contender = contender_from_json(contender_json)
    answer = answer_to(contender, start=lambda: wait_for_go(contender.name, Path(os.environ["RACE_SYNC"])))
    answer.emails = len(mail.outbox)
    print(answer_as_json(answer))


if __name__ == "__main__":
    main(sys.argv[1])
