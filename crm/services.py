"""Writes of the sales desk: customers, ownership (claim, release, transfer), follow-ups, the pool
sweep and auto-allocation.

Ownership rules live here and nowhere else. Every ownership change is one conditional UPDATE whose
row count says whether it happened (SELECT ... FOR UPDATE does nothing on SQLite), and writes its
`OwnershipEvent` in the same transaction. Callers pass customers already looked up through the
user's scope (`crm.selectors`); services never widen it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_noop, ngettext

from accounts.models import User
from accounts.services import notification_send, site_gettext
from common.bulk import ArrayRowWriter, in_many, reserve_ids
from common.files import file_store
from common.history import HISTORY_CREATED, history_record_rows
from crm import imports
from crm.models import (
    AllocationWeight,
    Customer,
    CustomerImport,
    CustomerImportProblem,
    DictItem,
    FollowUp,
    FollowUpDay,
    OwnershipEvent,
    PoolPolicy,
)
from crm.normalize import mask_phone, name_keys
from crm.selectors import find_duplicate, pool_return_rules

logger = logging.getLogger(__name__)

Kind = OwnershipEvent.Kind


class CustomerRefused(Exception):
    """The rules refuse this change; `str(error)` is the message to show, and nothing was written."""


class DuplicateCustomer(CustomerRefused):
    """Another live customer already has this phone or QQ."""

    def __init__(self, existing: Customer) -> None:
        self.existing = existing
        super().__init__(duplicate_message(existing))


def duplicate_message(existing: Customer) -> str:
    if existing.consultant_id is None:
        return gettext("This customer already exists: %(name)s (No. %(number)s), in the public pool.") % {
            "name": existing.name,
            "number": existing.pk,
        }
    return gettext(
        "This customer already exists: %(name)s (No. %(number)s), owned by %(owner)s since %(date)s."
    ) % {
        "name": existing.name,
        "number": existing.pk,
        "owner": existing.consultant,
        "date": timezone.localtime(existing.claimed_at or existing.created_at).strftime("%Y-%m-%d"),
    }


def _lock_consultant(user: User) -> None:
    """Serialise one consultant's ownership changes, so the private cap holds under concurrency.
    PostgreSQL locks the user's row; SQLite's IMMEDIATE transactions are serial already."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def _is_duplicate_error(error: IntegrityError) -> bool:
    text = str(error)
    return "customer_unique_live" in text or "UNIQUE constraint failed: crm_customer" in text


# --- Customers --------------------------------------------------------------------------------
def _save_customer(customer: Customer, by: User | None) -> None:
    """Save with derived name keys; a unique-constraint race becomes DuplicateCustomer."""
    customer.name_pinyin, customer.name_initials = name_keys(customer.name)
    customer._history_user = by
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as error:
        if not _is_duplicate_error(error):
            raise
        existing = find_duplicate(phone=customer.phone, qq=customer.qq, exclude_pk=customer.pk)
        if existing is None:  # the other writer rolled back meanwhile: report the race plainly
            raise CustomerRefused(
                gettext("Someone saved the same phone or QQ at this moment; try again.")
            ) from error
        raise DuplicateCustomer(existing) from error


@transaction.atomic
def customer_create(*, form, by: User, to_pool: bool = False) -> Customer:
    """Enter a lead from a validated CustomerForm. It becomes `by`'s customer (within the private
    cap) unless `to_pool`."""
    customer = form.save(commit=False)
    customer.created_by = by
    now = timezone.now()
    if not to_pool:
        _lock_consultant(by)
        _check_cap(by, PoolPolicy.current(), adding=1)
        customer.consultant, customer.claimed_at = by, now
    _save_customer(customer, by)
    form.save_m2m()
    OwnershipEvent.objects.create(
        customer=customer, kind=Kind.CREATE, to_user=customer.consultant, by=by, at=now
    )
    return customer


@transaction.atomic
def customer_update(*, form, by: User) -> Customer:
    customer = form.save(commit=False)
    _save_customer(customer, by)
    form.save_m2m()
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, by: User) -> Customer:
    """Move to the recycle bin. The phone and QQ are free again for a new live customer."""
    customer.is_deleted, customer.deleted_at = True, timezone.now()
    customer._history_user = by
    customer.save(update_fields=["is_deleted", "deleted_at", "updated_at"])
    return customer


@transaction.atomic
def customer_restore(*, customer: Customer, by: User) -> Customer:
    """Bring a customer back from the recycle bin, unless a live customer took its phone or QQ."""
    customer.is_deleted, customer.deleted_at = False, None
    _save_customer(customer, by)
    return customer


def duplicate_notify_owner(*, existing: Customer, by: User) -> bool:
    """Tell the owner of `existing` that `by` met their customer as a new lead. At most once an
    hour per customer and sender, so the button cannot be used to flood anyone."""
    owner = existing.consultant
    if owner is None or owner.pk == by.pk:
        return False
    link = reverse("crm:customer-detail", args=[existing.pk])
    text = site_gettext(
        gettext_noop(
            "%(colleague)s met your customer %(name)s (%(phone)s) as a new lead. Follow them up soon."
        ),
        colleague=by,
        name=existing.name,
        phone=mask_phone(existing.phone) or existing.qq,
    )
    recent = owner.notifications.filter(
        link=link, text=text, created_at__gte=timezone.now() - timedelta(hours=1)
    ).exists()
    if not recent:
        notification_send(recipient=owner, text=text, link=link)
    return True


# --- Ownership --------------------------------------------------------------------------------
def _check_cap(user: User, policy: PoolPolicy, *, adding: int) -> None:
    held = Customer.objects.live().filter(consultant=user, status=Customer.Status.UNSIGNED).count()
    if held + adding > policy.private_cap:
        raise CustomerRefused(
            gettext(
                "You already hold %(held)s unsigned customers; the limit is %(cap)s. "
                "Sign or release some first."
            )
            % {"held": held, "cap": policy.private_cap}
        )


def _given_up_recently(user: User, policy: PoolPolicy, now: datetime) -> QuerySet[OwnershipEvent]:
    """The events by which `user` gave customers up within the re-claim cooldown."""
    since = now - timedelta(days=policy.cooldown_days)
    return OwnershipEvent.objects.filter(
        from_user=user, kind__in=(Kind.RELEASE, Kind.AUTO_RETURN), at__gte=since
    )


def _check_cooldown(customer_id: int, user: User, policy: PoolPolicy, now: datetime) -> None:
    if not policy.cooldown_days:
        return
    gave_up = (
        _given_up_recently(user, policy, now)
        .filter(customer_id=customer_id)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if gave_up is not None:
        until = gave_up + timedelta(days=policy.cooldown_days)
        raise CustomerRefused(
            gettext("You gave this customer up recently; you may claim them again after %(date)s.")
            % {"date": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")}
        )


def not_claimed_message(customer_id: int) -> str:
    current = Customer.objects.filter(pk=customer_id).select_related("consultant").first()
    if current is None or current.is_deleted:
        return gettext("This customer was deleted.")
    if current.consultant is not None:
        return gettext("Already claimed by %(owner)s.") % {"owner": current.consultant}
    return gettext("This customer could not be claimed; try again.")


@transaction.atomic
def customer_claim(*, customer: Customer, by: User, policy: PoolPolicy | None = None) -> None:
    """Take a pool customer. The loser of a race gets "already claimed by X"."""
    policy = policy or PoolPolicy.current()
    now = timezone.now()
    _lock_consultant(by)
    _check_cap(by, policy, adding=1)
    claimable = Customer.objects.filter(pk=customer.pk, is_deleted=False, consultant__isnull=True)
    if policy.cooldown_days:
        # The cooldown is a condition of the UPDATE, so a claim costs no query to check it; why a
        # claim failed is looked up only when it did.
        claimable = claimable.exclude(
            Exists(_given_up_recently(by, policy, now).filter(customer_id=OuterRef("pk")))
        )
    claimed = claimable.update(consultant=by, claimed_at=now, return_warned_at=None, updated_at=now)
    if claimed != 1:
        _check_cooldown(customer.pk, by, policy, now)
        raise CustomerRefused(not_claimed_message(customer.pk))
    history_record_rows(Customer.objects.filter(pk=customer.pk), by=by, at=now)
    OwnershipEvent.objects.create(customer_id=customer.pk, kind=Kind.CLAIM, to_user=by, by=by, at=now)
    customer.consultant, customer.claimed_at = by, now


def _move(customer: Customer, *, to: User | None, kind: str, by: User | None, reason: str = "") -> None:
    """Change the owner from the one the caller saw to `to`, or refuse if it changed meanwhile."""
    now = timezone.now()
    seen = customer.consultant_id
    if seen is not None and customer.status == Customer.Status.SIGNED and to is None:
        raise CustomerRefused(gettext("Signed customers stay with their consultant."))
    owner_filter = Q(consultant__isnull=True) if seen is None else Q(consultant_id=seen)
    target = Customer.objects.filter(owner_filter, pk=customer.pk, is_deleted=False)
    if to is None:
        target = target.exclude(status=Customer.Status.SIGNED)
    changes = {"consultant": to, "claimed_at": now, "return_warned_at": None, "updated_at": now}
    if to is None:  # back in the pool: the old owner's follow-up plan goes with them
        changes.update(claimed_at=None, next_follow_up_at=None, follow_up_reminded_at=None)
    moved = target.update(**changes)
    if moved != 1:
        raise CustomerRefused(gettext("The owner of this customer changed meanwhile; reload the page."))
    history_record_rows(Customer.objects.filter(pk=customer.pk), by=by, at=now, reason=reason)
    OwnershipEvent.objects.create(
        customer_id=customer.pk, kind=kind, from_user_id=seen, to_user=to, by=by, reason=reason[:200], at=now
    )
    customer.consultant, customer.claimed_at = to, now if to is not None else None


@transaction.atomic
def customer_release(*, customer: Customer, by: User, reason: str = "") -> None:
    """Give a customer back to the public pool."""
    if customer.consultant_id is None:
        raise CustomerRefused(gettext("This customer is already in the public pool."))
    _move(customer, to=None, kind=Kind.RELEASE, by=by, reason=reason)


@transaction.atomic
def customer_transfer(*, customer: Customer, to: User, by: User, reason: str = "") -> None:
    """A manager hands a customer (owned or from the pool) to another consultant. Transfers are
    deliberate, so the private cap, a rule for claiming, does not apply."""
    if customer.consultant_id == to.pk:
        raise CustomerRefused(gettext("%(owner)s already owns this customer.") % {"owner": to})
    _move(customer, to=to, kind=Kind.TRANSFER, by=by, reason=reason)
    link = reverse("crm:customer-detail", args=[customer.pk])
    notification_send(
        recipient=to,
        text=site_gettext(
            gettext_noop("%(manager)s gave you the customer %(name)s."), manager=by, name=customer.name
        ),
        link=link,
    )


@dataclass
class BatchResult:
    """What a batch action did, customer by customer: nothing changes silently."""

    done: list[Customer] = field(default_factory=list)
    refused: list[tuple[Customer, str]] = field(default_factory=list)
    missing: int = 0


def customers_batch(action, customers: QuerySet[Customer], ids: list[int], **kwargs) -> BatchResult:
    """Apply a single-customer service to each of `ids` found in the scoped `customers`, each in
    its own transaction; ids outside the scope are counted as missing and left alone."""
    result = BatchResult()
    found = {customer.pk: customer for customer in customers.filter(pk__in=ids).select_related("consultant")}
    result.missing = len(set(ids) - set(found))
    for pk in dict.fromkeys(ids):
        customer = found.get(pk)
        if customer is None:
            continue
        try:
            action(customer=customer, **kwargs)
        except CustomerRefused as refusal:
            result.refused.append((customer, str(refusal)))
        else:
            result.done.append(customer)
    return result


# --- Follow-ups -------------------------------------------------------------------------------
@transaction.atomic
def follow_up_add(*, customer: Customer, by: User, form) -> FollowUp:
    """Log a follow-up and move the customer's last/next follow-up dates in the same transaction."""
    if customer.consultant_id is None:
        raise CustomerRefused(gettext("Claim this customer before following them up."))
    follow_up = form.save(commit=False)
    follow_up.customer, follow_up.consultant = customer, by
    follow_up.at = timezone.now()
    follow_up.save()
    followed_up = Customer.objects.filter(pk=customer.pk)
    followed_up.update(
        last_follow_up_at=follow_up.at,
        next_follow_up_at=follow_up.next_at,
        return_warned_at=None,
        follow_up_reminded_at=None,
        updated_at=follow_up.at,
    )
    history_record_rows(followed_up, by=by, at=follow_up.at)
    customer.last_follow_up_at, customer.next_follow_up_at = follow_up.at, follow_up.next_at
    follow_up_day_count(consultant_id=by.pk, at=follow_up.at)
    return follow_up


def follow_up_day_count(*, consultant_id: int, at: datetime) -> None:
    """Count one follow-up on its day: the row is made if missing (a concurrent first follow-up
    of the day is ignored, not an error), then incremented in the database, so concurrent
    follow-ups never lose a count."""
    day = timezone.localdate(at)
    FollowUpDay.objects.bulk_create(
        [FollowUpDay(consultant_id=consultant_id, day=day)], ignore_conflicts=True
    )
    FollowUpDay.objects.filter(consultant_id=consultant_id, day=day).update(count=F("count") + 1)


def follow_up_days_add(counts: dict[tuple[int, date], int]) -> None:
    """Add {(consultant id, day): follow-ups} to the per-day counts in a few statements, for bulk
    writers (the demo and benchmark generator) that run alone: unlike `follow_up_day_count` it
    reads the current counts first."""
    if not counts:
        return
    days = [day for _consultant, day in counts]
    existing = {
        (consultant, day): count
        for consultant, day, count in FollowUpDay.objects.filter(
            consultant_id__in={consultant for consultant, _day in counts},
            day__gte=min(days),
            day__lte=max(days),
        ).values_list("consultant_id", "day", "count")
    }
    FollowUpDay.objects.bulk_create(
        (
            FollowUpDay(consultant_id=consultant, day=day, count=existing.get((consultant, day), 0) + added)
            for (consultant, day), added in counts.items()
        ),
        update_conflicts=True,
        unique_fields=["consultant", "day"],
        update_fields=["count"],
        batch_size=1000,
    )


# --- The pool sweep ---------------------------------------------------------------------------
@dataclass
class SweepResult:
    returned: int = 0
    warned: int = 0
    reminded: int = 0


SWEEP_BATCH = 500


def _owned_unsigned() -> QuerySet[Customer]:
    return Customer.objects.live().filter(consultant__isnull=False, status=Customer.Status.UNSIGNED)


def _notify_owners(names_by_owner: dict[int, list[str]], text_for, link: str) -> None:
    """One notification per owner; `text_for(count, names)` words it in the site language."""
    for owner_id, names in names_by_owner.items():
        shown = "、".join(names[:5]) + ("…" if len(names) > 5 else "")
        with translation.override(settings.LANGUAGE_CODE):
            text = text_for(len(names), shown)
        notification_send(recipient=User(pk=owner_id), text=text, link=link)


def pool_sweep(*, now: datetime | None = None) -> SweepResult:
    """Return stale customers to the pool and warn owners of the coming returns. Idempotent: a
    second run at the same moment changes nothing. Signed customers never return."""
    now = now or timezone.now()
    policy = PoolPolicy.current()
    result = SweepResult()
    returned_by_owner: dict[int, list[str]] = defaultdict(list)
    for condition, reason in pool_return_rules(policy, now):
        while True:
            with transaction.atomic():
                rows = list(
                    _owned_unsigned()
                    .filter(condition)
                    .select_for_update()
                    .order_by("pk")
                    .values_list("pk", "consultant_id", "name")[:SWEEP_BATCH]
                )
                if not rows:
                    break
                ids = [pk for pk, _owner, _name in rows]
                _owned_unsigned().filter(condition, pk__in=ids).update(
                    consultant=None,
                    claimed_at=None,
                    return_warned_at=None,
                    next_follow_up_at=None,
                    follow_up_reminded_at=None,
                    updated_at=now,
                )
                # The system acted: no history user.
                history_record_rows(Customer.objects.filter(pk__in=ids), by=None, at=now, reason=reason)
                OwnershipEvent.objects.bulk_create(
                    OwnershipEvent(
                        customer_id=pk, kind=Kind.AUTO_RETURN, from_user_id=owner, reason=reason, at=now
                    )
                    for pk, owner, _name in rows
                )
                for _pk, owner, name in rows:
                    returned_by_owner[owner].append(name)
                result.returned += len(rows)
    _notify_owners(
        returned_by_owner,
        lambda count, names: (
            ngettext(
                "%(count)s of your customers returned to the public pool: %(names)s",
                "%(count)s of your customers returned to the public pool: %(names)s",
                count,
            )
            % {"count": count, "names": names}
        ),
        reverse("crm:customer-pool"),
    )
    if policy.warning_days:
        result.warned = _warn_owners(policy, now)
    return result


def _warn_owners(policy: PoolPolicy, now: datetime) -> int:
    ahead = timedelta(days=policy.warning_days)
    soon = Q()
    for condition, _reason in pool_return_rules(policy, now, ahead=ahead):
        soon |= condition
    warned_by_owner: dict[int, list[str]] = defaultdict(list)
    with transaction.atomic():
        rows = list(
            _owned_unsigned()
            .filter(soon, return_warned_at__isnull=True)
            .values_list("pk", "consultant_id", "name")
        )
        Customer.objects.filter(pk__in=[pk for pk, *_rest in rows]).update(return_warned_at=now)
    for _pk, owner, name in rows:
        warned_by_owner[owner].append(name)
    _notify_owners(
        warned_by_owner,
        lambda count, names: (
            ngettext(
                "%(count)s of your customers return to the public pool soon unless followed up: %(names)s",
                "%(count)s of your customers return to the public pool soon unless followed up: %(names)s",
                count,
            )
            % {"count": count, "names": names}
        ),
        reverse("crm:customer-mine") + "?o=last_follow_up",
    )
    return len(rows)


def follow_up_reminders(*, now: datetime | None = None) -> int:
    """Tell owners once about each follow-up that falls due today (or is overdue)."""
    now = now or timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    due = Customer.objects.live().filter(
        consultant__isnull=False, next_follow_up_at__lte=end_of_today, follow_up_reminded_at__isnull=True
    )
    names_by_owner: dict[int, list[str]] = defaultdict(list)
    with transaction.atomic():
        rows = list(due.values_list("pk", "consultant_id", "name"))
        Customer.objects.filter(pk__in=[pk for pk, *_rest in rows]).update(follow_up_reminded_at=now)
    for _pk, owner, name in rows:
        names_by_owner[owner].append(name)
    _notify_owners(
        names_by_owner,
        lambda count, names: (
            ngettext(
                "%(count)s follow-up is due: %(names)s", "%(count)s follow-ups are due: %(names)s", count
            )
            % {"count": count, "names": names}
        ),
        reverse("crm:customer-mine") + "?due=today",
    )
    return len(rows)


# --- Allocation -------------------------------------------------------------------------------
def _pick(weights: list[AllocationWeight]) -> AllocationWeight | None:
    """One step of smooth weighted round-robin (nginx) among the weights still under their cap."""
    eligible = [w for w in weights if w.daily_cap is None or w.allocated_today < w.daily_cap]
    if not eligible:
        return None
    total = sum(w.weight for w in eligible)
    for w in eligible:
        w.current += w.weight
    best = max(eligible, key=lambda w: (w.current, -w.pk))
    best.current -= total
    best.allocated_today += 1
    return best


@transaction.atomic
def customers_allocate(*, customer_ids: list[int], by: User | None = None) -> dict[int, int]:
    """Give pool customers to consultants by weight, honouring daily caps. Returns customer id ->
    consultant id for those allocated; the rest stay in the pool (no weights, or all capped).

    The weight rows are locked for the whole transaction (FOR UPDATE on PostgreSQL; SQLite's
    IMMEDIATE transactions are serial), so two processes never hand out the same turn.
    """
    today = timezone.localdate()
    weights = list(
        AllocationWeight.objects.select_for_update()
        .filter(weight__gt=0, consultant__is_active=True)
        .order_by("pk")
    )
    for w in weights:
        if w.allocated_on != today:
            w.allocated_on, w.allocated_today = today, 0
    in_pool: set[int] = set()
    for start in range(0, len(customer_ids), SWEEP_BATCH):
        chunk = customer_ids[start : start + SWEEP_BATCH]
        in_pool.update(
            Customer.objects.in_pool().filter(pk__in=chunk).select_for_update().values_list("pk", flat=True)
        )
    ids_by_owner: dict[int, list[int]] = defaultdict(list)
    for customer_id in (pk for pk in dict.fromkeys(customer_ids) if pk in in_pool):
        chosen = _pick(weights)
        if chosen is None:
            break
        ids_by_owner[chosen.consultant_id].append(customer_id)
    now = timezone.now()
    allocated: dict[int, int] = {}
    for owner_id, ids in ids_by_owner.items():
        for start in range(0, len(ids), SWEEP_BATCH):
            chunk = Customer.objects.filter(pk__in=ids[start : start + SWEEP_BATCH])
            chunk.update(consultant_id=owner_id, claimed_at=now, updated_at=now)
            history_record_rows(chunk, by=by, at=now)
        allocated.update(dict.fromkeys(ids, owner_id))
    OwnershipEvent.objects.bulk_create(
        OwnershipEvent(customer_id=pk, kind=Kind.ALLOCATE, to_user_id=owner, by=by, at=now)
        for pk, owner in allocated.items()
    )
    AllocationWeight.objects.bulk_update(weights, ["current", "allocated_on", "allocated_today"])
    return allocated


@transaction.atomic
def pool_policy_save(*, form) -> PoolPolicy:
    return form.save()


@transaction.atomic
def allocation_weights_save(*, settings_by_consultant: dict[int, tuple[int | None, int | None]]) -> None:
    """Save the weights page. A blank weight deletes the consultant's row; the round-robin state
    of the others is kept, so saving does not reset anyone's turn."""
    existing = {w.consultant_id: w for w in AllocationWeight.objects.select_for_update()}
    for consultant_id, (weight, cap) in settings_by_consultant.items():
        row = existing.get(consultant_id)
        if weight is None:
            if row is not None:
                row.delete()
        elif row is None:
            AllocationWeight.objects.create(consultant_id=consultant_id, weight=weight, daily_cap=cap)
        elif (row.weight, row.daily_cap) != (weight, cap):
            row.weight, row.daily_cap = weight, cap
            row.save(update_fields=["weight", "daily_cap"])


# --- Import -----------------------------------------------------------------------------------
IMPORT_BATCH = 1000
IMPORTED_CUSTOMER_COLUMNS = (
    *imports.CUSTOMER_COLUMNS,
    "id",
    "created_by",
    "created_at",
    "updated_at",
    "imported_from",
)
# Uploads whose columns were never confirmed are deleted after this long (they hold phones).
UNCONFIRMED_IMPORT_KEEP = timedelta(days=1)


@transaction.atomic
def customer_import_upload(*, table: imports.Table, data: bytes, filename: str, by: User) -> CustomerImport:
    """Keep a checked upload (see `imports.read_table`) until its columns are confirmed; the
    guessed mapping and the first rows are stored for the mapping page."""
    record = CustomerImport(
        created_by=by,
        original_name=filename[:255],
        file_format=table.file_format,
        headers=table.headers,
        preview=[
            [imports.as_text(value) for value in cells]
            for _number, cells in table.rows[: imports.PREVIEW_ROWS]
        ],
        mapping=imports.guess_mapping(table.headers),
        total_rows=table.total_rows,
    )
    file_store(record.file, f"upload.{table.file_format}", data)
    try:
        record.save()
    except Exception:
        record.file.delete(save=False)  # no row, no file
        raise
    return record


def customer_import_start(
    *, customer_import: CustomerImport, mapping: dict[str, str], owner: str, default_source: DictItem | None
) -> None:
    """Confirm the columns and the owner; the caller queues `crm.tasks.customer_import_task`.
    A conditional UPDATE, so a double click cannot queue one file twice."""
    started = CustomerImport.objects.filter(
        pk=customer_import.pk, status=CustomerImport.Status.UPLOADED
    ).update(status=CustomerImport.Status.QUEUED, mapping=mapping, owner=owner, default_source=default_source)
    if not started:
        raise CustomerRefused(gettext("This import has already been started."))


@dataclass
class _BatchOutcome:
    created: int = 0
    allocated: int = 0
    duplicates: int = 0
    errors: int = 0
    keys: dict = field(default_factory=dict)


def customer_import_run(*, import_id: int) -> CustomerImport | None:
    """Import a queued file in batches of IMPORT_BATCH rows, each batch in its own transaction
    with the import's counters, so a failure keeps whole batches only and the counters (and the
    customers linked to the import) say exactly what was imported. Rows with errors, and
    duplicates within the file or of live customers, are recorded as problems, never created.
    Returns None when the import is not waiting (a task delivered twice does nothing)."""
    now = timezone.now()
    queued = CustomerImport.objects.filter(pk=import_id, status=CustomerImport.Status.QUEUED)
    if not queued.update(status=CustomerImport.Status.RUNNING, started_at=now):
        return None
    record = CustomerImport.objects.select_related("created_by").get(pk=import_id)
    try:
        with record.file.open("rb") as upload:
            table = imports.read_table(upload.read(), record.original_name)
        reader = imports.RowReader(mapping=record.mapping, default_source_id=record.default_source_id)
        seen: dict[tuple[str, str], int] = {}
        for batch in imports.chunks(table.rows, IMPORT_BATCH):
            outcome = _import_batch(record, reader, batch, seen)
            seen.update(outcome.keys)
            record.processed_rows += len(batch)
            record.created_count += outcome.created
            record.allocated_count += outcome.allocated
            record.duplicate_count += outcome.duplicates
            record.error_count += outcome.errors
    except imports.ImportFileError as error:
        record.status, record.message = CustomerImport.Status.FAILED, str(error)
    except Exception:
        logger.exception("customer import %s stopped", import_id)
        record.status = CustomerImport.Status.FAILED
        record.message = gettext(
            "The import stopped on an unexpected error after %(rows)s rows. The customers imported "
            "before it are kept (see below); the rest of the file was not imported."
        ) % {"rows": record.processed_rows}
    else:
        record.status = CustomerImport.Status.DONE
    record.finished_at = timezone.now()
    record.file.delete(save=False)
    record.save(update_fields=["status", "message", "finished_at", "file"])
    _notify_import_finished(record)
    return record


def _import_batch(
    record: CustomerImport, reader: imports.RowReader, batch: list, seen: dict
) -> _BatchOutcome:
    """One batch, retried when a concurrent writer took a phone or QQ between the duplicate
    check and the insert (PostgreSQL; SQLite's IMMEDIATE transactions are serial)."""
    rows = [reader.read(number, cells) for number, cells in batch]
    for attempt in range(3):
        try:
            with transaction.atomic():
                outcome = _write_batch(record, rows, seen)
                CustomerImport.objects.filter(pk=record.pk).update(
                    processed_rows=F("processed_rows") + len(batch),
                    created_count=F("created_count") + outcome.created,
                    allocated_count=F("allocated_count") + outcome.allocated,
                    duplicate_count=F("duplicate_count") + outcome.duplicates,
                    error_count=F("error_count") + outcome.errors,
                )
            return outcome
        except IntegrityError as error:
            if attempt == 2 or not _is_duplicate_error(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _problem(
    record: CustomerImport, row: imports.RowResult, kind: str, message: str
) -> CustomerImportProblem:
    return CustomerImportProblem(
        customer_import=record,
        row_number=row.number,
        kind=kind,
        message=message,
        values=[imports.as_text(value) for value in row.cells],
    )


def _contact_keys(values: dict) -> list[tuple[str, str]]:
    return [(key, values[key]) for key in ("phone", "qq") if values.get(key)]


def _write_batch(record: CustomerImport, rows: list[imports.RowResult], seen: dict) -> _BatchOutcome:
    outcome = _BatchOutcome()
    problems: list[CustomerImportProblem] = []
    candidates: list[imports.RowResult] = []
    for row in rows:
        if row.errors:
            problems.append(
                _problem(record, row, CustomerImportProblem.Kind.ERROR, imports.problem_text(row.errors))
            )
            continue
        keys = _contact_keys(row.values)
        first = next(
            (seen.get(key, outcome.keys.get(key)) for key in keys if key in seen or key in outcome.keys), None
        )
        if first is not None:
            message = gettext("Same phone or QQ as row %(row)s of this file.") % {"row": first}
            problems.append(_problem(record, row, CustomerImportProblem.Kind.DUPLICATE, message))
            continue
        outcome.keys.update(dict.fromkeys(keys, row.number))
        candidates.append(row)

    existing = _live_customers_by_key([key for row in candidates for key in _contact_keys(row.values)])
    fresh = []
    for row in candidates:
        duplicate = next((existing[key] for key in _contact_keys(row.values) if key in existing), None)
        if duplicate is not None:
            problems.append(
                _problem(record, row, CustomerImportProblem.Kind.DUPLICATE, duplicate_message(duplicate))
            )
        else:
            fresh.append(row)

    by = record.created_by
    consultant = by if record.owner == CustomerImport.Owner.ME else None
    if consultant is not None and fresh:
        _lock_consultant(by)
        policy = PoolPolicy.current()
        held = Customer.objects.live().filter(consultant=by, status=Customer.Status.UNSIGNED).count()
        room = max(policy.private_cap - held, 0)
        over_cap = gettext(
            "Not imported: you would hold more than %(cap)s unsigned customers. "
            "Import the rest to the public pool."
        ) % {"cap": policy.private_cap}
        problems.extend(
            _problem(record, row, CustomerImportProblem.Kind.ERROR, over_cap) for row in fresh[room:]
        )
        fresh = fresh[:room]

    # Plain rows, not Customer objects: bulk_create prepared every field of every object and,
    # on SQLite, split a batch into INSERTs of 30 rows (999 parameters), which cost more than
    # everything else in an import together.
    now = timezone.now()
    ids = reserve_ids(Customer, len(fresh))
    owner = (consultant.pk, now) if consultant else (None, None)
    ArrayRowWriter(Customer, (*IMPORTED_CUSTOMER_COLUMNS, "consultant", "claimed_at")).write(
        (*imports.customer_row(row.values), pk, by.pk, now, now, record.pk, *owner)
        for pk, row in zip(ids, fresh, strict=True)
    )
    ArrayRowWriter(Customer.interested_courses.through, ("customer", "course")).write(
        (pk, course_id)
        for pk, row in zip(ids, fresh, strict=True)
        for course_id in dict.fromkeys(row.courses)
    )
    if ids:
        reason = gettext("Imported from %(file)s") % {"file": record.original_name[:150]}
        _record_imported(record, ids[0], ids[-1], by=by, at=now, reason=reason)
    if record.owner == CustomerImport.Owner.ALLOCATE and ids:
        outcome.allocated = len(customers_allocate(customer_ids=ids, by=by))
    CustomerImportProblem.objects.bulk_create(problems)
    outcome.created = len(ids)
    outcome.duplicates = sum(p.kind == CustomerImportProblem.Kind.DUPLICATE for p in problems)
    outcome.errors = len(problems) - outcome.duplicates
    return outcome


def _record_imported(
    record: CustomerImport, first_id: int, last_id: int, *, by: User, at, reason: str
) -> None:
    """Write the history row ("created") and the `create` ownership event of each customer the
    batch inserted, copied inside the database from the rows themselves: building them as
    Python objects cost as much as the customers. The rows are picked by this import and the
    batch's id range, so nothing a colleague saved meanwhile is included."""
    batch = Customer.objects.filter(imported_from_id=record.pk, id__range=(first_id, last_id))
    history_record_rows(batch, by=by, at=at, history_type=HISTORY_CREATED)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(OwnershipEvent._meta.db_table)} (customer_id, kind, to_user_id, by_id, "
            f"reason, at) SELECT id, %s, consultant_id, %s, %s, %s FROM {quote(Customer._meta.db_table)} "
            "WHERE imported_from_id = %s AND id BETWEEN %s AND %s",
            [Kind.CREATE, by.pk, reason, at, record.pk, first_id, last_id],
        )


def _live_customers_by_key(keys: list[tuple[str, str]]) -> dict[tuple[str, str], Customer]:
    """The live customers holding any of `keys`, by each of their keys: a query for the phones
    and one for the QQ numbers, each through its index (PostgreSQL reads the whole table for an
    OR of the two, SQLite for a long list; see `in_many`)."""
    live = (
        Customer.objects.live()
        .select_related("consultant")
        .only("pk", "name", "phone", "qq", "consultant", "claimed_at", "created_at")
    )
    by_key: dict[tuple[str, str], Customer] = {}
    for kind in ("phone", "qq"):
        values = [value for key, value in keys if key == kind]
        if not values:
            continue
        for customer in live.filter(**{f"{kind}__in": in_many(values)}):
            for key in _contact_keys({"phone": customer.phone, "qq": customer.qq}):
                by_key[key] = customer
    return by_key


def _notify_import_finished(record: CustomerImport) -> None:
    if record.status == CustomerImport.Status.DONE:
        text = gettext(
            "Import of %(file)s finished: %(created)s customers created, %(duplicates)s duplicates, "
            "%(errors)s rows with errors."
        ) % {
            "file": record.original_name,
            "created": record.created_count,
            "duplicates": record.duplicate_count,
            "errors": record.error_count,
        }
    else:
        text = gettext("Import of %(file)s failed: %(reason)s") % {
            "file": record.original_name,
            "reason": record.message,
        }
    notification_send(
        recipient=record.created_by, text=text, link=reverse("crm:customer-import-detail", args=[record.pk])
    )


def customer_imports_discard_unconfirmed(*, now: datetime | None = None) -> int:
    """Delete uploads whose columns were never confirmed, with their files."""
    cutoff = (now or timezone.now()) - UNCONFIRMED_IMPORT_KEEP
    stale = CustomerImport.objects.filter(status=CustomerImport.Status.UPLOADED, created_at__lt=cutoff)
    count = 0
    for record in stale:
        record.file.delete(save=False)
        record.delete()
        count += 1
    return count
