from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
