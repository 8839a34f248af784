import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Campus(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("campus")
        verbose_name_plural = _("campuses")

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    outline = models.TextField(_("syllabus"), blank=True)
    default_price = models.DecimalField(
        _("default price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    contract_template = models.TextField(
        _("contract template"),
        blank=True,
        help_text=_("The contract students accept on the enrollment form."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.name


class ClassList(models.Model):
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="classes", verbose_name=_("course")
    )
    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="classes", verbose_name=_("campus")
    )
    semester = models.PositiveSmallIntegerField(
        _("semester"),
        validators=[MinValueValidator(1)],
        help_text=_("The class's number, e.g. 9 for class 9."),
    )
    price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    start_date = models.DateField(_("start date"))
    graduate_date = models.DateField(_("graduation date"), null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=60, validators=[MinValueValidator(1)])
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teaching_classes", blank=True, verbose_name=_("teachers")
    )
    adviser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="advised_classes",
        verbose_name=_("class adviser"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-start_date", "course__name", "semester"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "campus", "semester"], name="class_unique_course_campus_semester"
            ),
            models.CheckConstraint(
                condition=Q(graduate_date__isnull=True) | Q(graduate_date__gte=models.F("start_date")),
                name="class_graduates_after_start",
            ),
        ]

    def __str__(self) -> str:
        return _("%(course)s %(semester)s (%(campus)s)") % {
            "course": self.course.name,
            "semester": self.semester_label,
            "campus": self.campus.name,
        }

    @property
    def semester_label(self) -> str:
        return _("Class %(number)s") % {"number": self.semester}


class DictItem(models.Model):
    """Lists that admins edit without a deploy: customer sources, education levels, and so on."""

    class Kind(models.TextChoices):
        SOURCE = "source", _("Customer source")
        EDUCATION = "education", _("Education level")
        EXPERIENCE = "experience", _("Work experience")
        FOLLOW_UP_CHANNEL = "follow_up_channel", _("Follow-up channel")
        INTENT_LEVEL = "intent_level", _("Intent level")
        WORK_STATUS = "work_status", _("Work status")
        GENDER = "gender", _("Gender")
        TICKET_CATEGORY = "ticket_category", _("Ticket category")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "order", "id"]
        verbose_name = _("dictionary item")
        verbose_name_plural = _("dictionary items")
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="dictitem_unique_kind_code"),
        ]

    def __str__(self) -> str:
        return self.label


class CustomerQuerySet(models.QuerySet):
    def live(self):
        return self.filter(is_deleted=False)

    def in_pool(self):
        return self.filter(is_deleted=False, consultant__isnull=True)


class Customer(models.Model):
    """A lead or a signed customer. No consultant means it sits in the public pool (公户).

    `phone` is stored as E.164 (+8613800138000) and `qq` as bare digits, both normalised by
    `crm.normalize`, so that the partial unique constraints below catch duplicates however they
    were typed. `name_pinyin` and `name_initials` are derived from `name` for pinyin search.
    """

    class Status(models.TextChoices):
        UNSIGNED = "unsigned", _("Not signed")
        SIGNED = "signed", _("Signed")

    name = models.CharField(_("full name"), max_length=50)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, blank=True, editable=False)
    name_initials = models.CharField(_("initials"), max_length=50, blank=True, editable=False)
    gender = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.GENDER},
        verbose_name=_("gender"),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    qq = models.CharField(_("QQ"), max_length=12, blank=True)
    wechat = models.CharField(_("WeChat"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    education = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.EDUCATION},
        verbose_name=_("education"),
    )
    school = models.CharField(_("school"), max_length=100, blank=True)
    major = models.CharField(_("major"), max_length=100, blank=True)
    experience = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.EXPERIENCE},
        verbose_name=_("work experience"),
    )
    work_status = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.WORK_STATUS},
        verbose_name=_("work status"),
    )
    company = models.CharField(_("company"), max_length=100, blank=True)
    salary = models.PositiveIntegerField(_("monthly salary"), null=True, blank=True)
    source = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.SOURCE},
        verbose_name=_("source"),
    )
    referrer = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
    )
    interested_courses = models.ManyToManyField(
        Course, blank=True, related_name="interested_customers", verbose_name=_("interested courses")
    )
    consulted_on = models.DateField(_("consultation date"))
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNSIGNED)
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("consultant"),
        db_index=False,  # customer_owner_idx below leads with it
    )
    claimed_at = models.DateTimeField(_("owned since"), null=True, blank=True)
    last_follow_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    # Set when the owner was warned of the coming return to the pool, or reminded of a due
    # follow-up; cleared by the next claim or follow-up, so each warning goes out once.
    return_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    follow_up_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # The import that created this customer: how "view the imported customers" lists exactly them.
    imported_from = models.ForeignKey(
        "CustomerImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        editable=False,
        verbose_name=_("imported from"),
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "return_warned_at", "follow_up_reminded_at"])
    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            # Live customers only: a deleted lead must not block entering the person again.
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(is_deleted=False) & ~Q(phone=""),
                name="customer_unique_live_phone",
            ),
            models.UniqueConstraint(
                fields=["qq"],
                condition=Q(is_deleted=False) & ~Q(qq=""),
                name="customer_unique_live_qq",
            ),
        ]
        indexes = [
            # Each list page has an index matching its filter and its newest-first order. This one
            # serves the pool (consultant NULL) and each consultant's customers: the lists read a
            # range of it in order, and count live rows (and, for the manager's home page, how
            # long the pool's customers have waited) without touching the table. It holds live
            # customers only: Django writes `is_deleted=False` as `NOT is_deleted`, which SQLite
            # cannot match to an index column, only to a partial index's condition.
            models.Index(
                fields=["consultant", "-id", "created_at"],
                condition=Q(is_deleted=False),
                name="customer_owner_idx",
            ),
            models.Index(fields=["consultant", "next_follow_up_at"], name="customer_due_idx"),
            # A consultant's unsigned customers in claim order with what the pool rules read:
            # "about to return to the pool" is counted and listed from the index alone.
            models.Index(
                fields=["consultant", "status", "claimed_at", "last_follow_up_at", "is_deleted"],
                name="customer_return_idx",
            ),
            models.Index(fields=["consultant", "last_follow_up_at"], name="customer_stale_idx"),
            models.Index(fields=["-deleted_at"], condition=Q(is_deleted=True), name="customer_deleted_idx"),
            # Name searches are prefixes (张, zhang, zs). PostgreSQL answers LIKE 'x%' from a
            # b-tree only with the pattern operator class, whatever the database's collation;
            # SQLite ignores operator classes and searches a code-point range (common.filters).
            models.Index(fields=["name"], name="customer_name_idx", opclasses=["varchar_pattern_ops"]),
            # The reports: a month's new leads are a range of entry times, and everything the
            # report reads of them is in the index, so a month of 40,000 leads touches no row.
            models.Index(
                fields=["created_at", "is_deleted", "consultant", "source", "status", "last_follow_up_at"],
                name="customer_created_idx",
            ),
            models.Index(
                fields=["name_pinyin"], name="customer_pinyin_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["name_initials"], name="customer_initials_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["wechat"], name="customer_wechat_idx"),
            # Lookups by phone and QQ: the partial unique indexes above serve only queries that
            # repeat their conditions, which a search's OR of several keys does not.
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["qq"], name="customer_qq_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_pool(self) -> bool:
        return self.consultant_id is None


class FollowUp(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("customer")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("consultant")
    )
    channel = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.FOLLOW_UP_CHANNEL},
        verbose_name=_("channel"),
    )
    intent = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.INTENT_LEVEL},
        verbose_name=_("intent level"),
    )
    content = models.TextField(_("content"))
    at = models.DateTimeField(_("followed up at"), default=timezone.now)
    next_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="followup_customer_idx"),
        ]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.customer} @ {self.at:%Y-%m-%d}"


class FollowUpDay(models.Model):
    """How many follow-ups a consultant logged on a day (in the school's time zone): kept by
    the services that add follow-ups, so a month's count per consultant adds up at most 31 rows
    instead of counting a million follow-ups."""

    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("consultant")
    )
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("follow-ups"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultant", "day"], name="followupday_unique")]
        verbose_name = _("follow-ups of a day")
        verbose_name_plural = _("follow-ups per day")

    def __str__(self) -> str:
        return f"{self.consultant_id} {self.day}: {self.count}"


class OwnershipEvent(models.Model):
    """Who owned whom, and why it changed. Written in the same transaction as the change."""

    class Kind(models.TextChoices):
        CREATE = "create", _("Entered")
        CLAIM = "claim", _("Claimed")
        RELEASE = "release", _("Released to the pool")
        TRANSFER = "transfer", _("Transferred")
        AUTO_RETURN = "auto_return", _("Returned to the pool automatically")
        ALLOCATE = "allocate", _("Allocated")
        SIGN = "sign", _("Signed")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="ownership_events", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="ownership_customer_idx"),
            # The re-claim cooldown asks "did this user give this customer up lately?".
            models.Index(fields=["from_user", "customer", "-at"], name="ownership_cooldown_idx"),
            # The reports: a month's signings and leads taken on, per consultant and customer,
            # from the index alone.
            models.Index(fields=["kind", "at", "to_user", "customer"], name="ownership_report_idx"),
        ]
        verbose_name = _("ownership event")
        verbose_name_plural = _("ownership events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.customer}"


class AllocationWeight(models.Model):
    """A consultant's share of auto-allocated leads, and the smooth weighted round-robin state.

    `current` is the running weight of nginx's smooth weighted round-robin; keeping it in the
    database (and changing it only under a lock) makes allocation correct across processes.
    """

    consultant = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="allocation_weight",
        verbose_name=_("consultant"),
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MaxValueValidator(1000)], help_text=_("0 takes no new leads.")
    )
    daily_cap = models.PositiveIntegerField(
        _("daily cap"), null=True, blank=True, help_text=_("Leave empty for no cap.")
    )
    current = models.IntegerField(default=0, editable=False)
    allocated_on = models.DateField(null=True, blank=True, editable=False)
    allocated_today = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["consultant__username"]
        verbose_name = _("allocation weight")
        verbose_name_plural = _("allocation weights")

    def __str__(self) -> str:
        return f"{self.consultant}: {self.weight}"


class PoolPolicy(models.Model):
    """The pool rules; one row (pk=1), created with the defaults on first use."""

    days_without_follow_up = models.PositiveSmallIntegerField(
        _("days without follow-up before return"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    days_without_signing = models.PositiveSmallIntegerField(
        _("days without signing after the claim before return"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    warning_days = models.PositiveSmallIntegerField(
        _("warn the owner this many days before"),
        default=1,
        validators=[MaxValueValidator(30)],
    )
    private_cap = models.PositiveIntegerField(
        _("most unsigned customers a consultant may hold"),
        default=150,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
    )
    cooldown_days = models.PositiveSmallIntegerField(
        _("days before a consultant may re-claim a customer they gave up"),
        default=7,
        validators=[MaxValueValidator(365)],
    )

    class Meta:
        verbose_name = _("pool rules")
        verbose_name_plural = _("pool rules")

    def __str__(self) -> str:
        return str(_("Pool rules"))

    @classmethod
    def current(cls) -> "PoolPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


def _import_file_name(instance, filename: str) -> str:
    """A random name: the uploaded name is kept in `original_name`, never used as a path."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"imports/{uuid.uuid4().hex}.{extension}"


class CustomerImport(models.Model):
    """One uploaded spreadsheet of leads and what became of it.

    The file is kept (outside any URL) only until the worker has read it. The counters are
    updated in the same transaction as each batch, so they always say exactly what was imported.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for the column mapping")
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    class Owner(models.TextChoices):
        ME = "me", _("Me: they become my customers")
        POOL = "pool", _("The public pool")
        ALLOCATE = "allocate", _("Auto-allocate to consultants by the allocation weights")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="customer_imports",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    file = models.FileField(_("file"), upload_to=_import_file_name, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    owner = models.CharField(_("new customers go to"), max_length=10, choices=Owner.choices, blank=True)
    default_source = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.SOURCE},
        verbose_name=_("source for rows without one"),
    )
    headers = models.JSONField(_("column headers"), default=list)
    preview = models.JSONField(_("first rows"), default=list)
    # Column number (as text, JSON keys are strings) -> customer field name.
    mapping = models.JSONField(_("column mapping"), default=dict)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("customers created"), default=0)
    allocated_count = models.PositiveIntegerField(_("customers allocated"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="customerimport_user_idx")]
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)

    @property
    def problem_count(self) -> int:
        return self.duplicate_count + self.error_count

    @property
    def left_in_pool(self) -> int:
        """Customers an auto-allocating import could not give anyone (no weights, caps reached)."""
        if self.owner != self.Owner.ALLOCATE:
            return 0
        return self.created_count - self.allocated_count


class CustomerImportProblem(models.Model):
    """A row that was not imported: an error in it, or a duplicate of a customer."""

    class Kind(models.TextChoices):
        ERROR = "error", _("Error")
        DUPLICATE = "duplicate", _("Duplicate")

    customer_import = models.ForeignKey(
        CustomerImport, on_delete=models.CASCADE, related_name="problems", verbose_name=_("import")
    )
    row_number = models.PositiveIntegerField(_("row"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    message = models.TextField(_("problem"))
    values = models.JSONField(_("cells"), default=list)

    class Meta:
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["customer_import", "row_number"], name="importproblem_row_idx")]
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")

    def __str__(self) -> str:
        return f"{self.customer_import} #{self.row_number}: {self.message}"
