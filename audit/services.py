"""The access log: who was shown which personal data, when and from where.

What is recorded (the callers decide, each where its page decides what to show):

- `document_download`: every download of an enrollment document (ID card photos), by anyone;
- `id_number_view`: the enrollment page showing the full ID card number, which only reviewers
  see, and only while the enrollment waits for their review (everyone else sees it masked);
- `contacts_view`: a customer's page or edit form showing the full phone, QQ, WeChat and email
  to someone other than the customer's owning consultant. The owner opening their own customer
  is ordinary work and is not recorded (the log would drown in it);
- `contacts_export`: a customer export that holds at least one customer with full contact
  details, own customers included (a file leaves EduCRM, a page does not): one record per
  export, naming the list, the filters and the number of rows, not a record per customer.

Not recorded: the customer lists, which show a page of contacts in full to the owner and to
holders of "see the full contact details of every customer" (that right is the control there;
the bulk way out, the export, is recorded).

Failure policy: no record, no reveal. `access_record` never raises into the page; it returns
whether the record was written, and a caller shows the data only when it was. A page then falls
back to what an unrecorded viewer may see (the masked number or contacts, with a message); a
download or an export is refused with a message. Serving unlogged would make the log unable to
answer "who looked at this student's ID card?"; refusing costs a retry.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, models, transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy

from audit.models import LABEL_LENGTH, AccessRecord
from common.http import client_ip

logger = logging.getLogger(__name__)

# What a page says when it withholds data because `access_record` failed.
NOT_RECORDED = gettext_lazy("The access log could not record this, so it was withheld; try again.")


def target_label(target: models.Model) -> str:
    """What the record was, in words that stay true after it changes: `张三 #12`,
    `张三 → Python全栈开发 9期 (北京) #5`; in the school's language, as every reader shares it."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{target} #{target.pk}"[:LABEL_LENGTH]


def access_record(
    *,
    request: HttpRequest,
    action: str,
    target: models.Model | None = None,
    label: str = "",
    detail: dict | None = None,
) -> bool:
    """Record that the request's user is being shown `action`'s personal data of `target` (or,
    without a target, of what `label` names, such as an exported list). One INSERT (in a
    savepoint when a transaction is open, so a failure leaves it usable). Returns whether the
    record was written; a database error is logged, never raised: see the module's failure policy."""
    user = request.user
    try:
        record = AccessRecord(
            user=user,
            username=user.get_username(),
            action=action,
            content_type=ContentType.objects.get_for_model(target) if target is not None else None,
            object_id=target.pk if target is not None else None,
            label=label[:LABEL_LENGTH] or (target_label(target) if target is not None else ""),
            ip=client_ip(request),
            detail=detail or {},
        )
        if connection.in_atomic_block:
            with transaction.atomic():
                record.save()
        else:
            record.save()
    except DatabaseError:
        logger.exception("Access by %s (%s) could not be recorded", user.get_username(), action)
        return False
    return True
