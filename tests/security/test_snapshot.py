"""The snapshot the suite compares before and after a request sees a written row and a written
file: a check that nothing changed is only worth something if a change would show."""

from pathlib import Path

from django.conf import settings

from accounts.models import Notification
from tests.security import snapshot


def test_a_new_row_shows(world):
    before = snapshot.take()
    Notification.objects.create(recipient=world.sales, text="hello", link="/")
    assert before.differences(snapshot.take()) == ["table accounts_notification: 0 -> 1 rows"]


def test_a_changed_row_shows(world):
    before = snapshot.take()
    world.sales.display_name = "改名"
    world.sales.save(update_fields=["display_name"])
    assert [line.split(":")[0] for line in before.differences(snapshot.take())] == ["table accounts_user"]


def test_a_new_file_shows(world):
    before = snapshot.take()
    path = Path(settings.MEDIA_ROOT) / "snapshot-test" / "new.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.write_bytes(b"x")
        assert before.differences(snapshot.take()) == ["file snapshot-test/new.txt"]
    finally:
        path.unlink()
