"""The enrollment link's token: the enrollment's id and link version, signed with SECRET_KEY.

Nobody can make one without the key, so a guessed or edited token fails the signature.
Regenerating a link increments `Enrollment.token_version`, which revokes every older token;
the expiry lives on the enrollment, so a consultant can extend it. `enrollment_for_token`
answers None for every kind of bad token alike (a deleted enrollment's too), so the public page
cannot tell them apart.
"""

from django.core import signing
from django.utils import timezone

from enrollment.models import Enrollment

SALT = "educrm.enrollment.link"


def enrollment_token(enrollment: Enrollment) -> str:
    return signing.dumps([enrollment.pk, enrollment.token_version], salt=SALT)


def enrollment_for_token(token: str) -> Enrollment | None:
    """The enrollment a live token opens, or None (tampered, random, revoked or expired)."""
    try:
        pk, version = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(version, int):
        return None
    enrollment = (
        Enrollment.objects.live()
        .select_related("customer", "class_list__course", "class_list__campus", "consultant")
        .filter(pk=pk, token_version=version, link_expires_at__gt=timezone.now())
        .first()
    )
    return enrollment
