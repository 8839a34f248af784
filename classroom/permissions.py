"""The classroom's entries. Which class, lesson, record, file or question a user reaches is the
selectors' business (classroom.selectors): outside their classes, teachers and students get 404."""

from django.utils.translation import gettext_lazy as _

from rbac.defaults import STUDENT, TEACHER
from rbac.registry import register

WRITE = ("GET", "POST")

# --- Teachers and advisers --------------------------------------------------------------------------
register(
    "classroom.class_list",
    _("Teach own classes: class pages and rosters"),
    "classroom:class-list",
    menu="classroom",
    menu_label=_("My classes"),
    icon="easel",
    order=10,
    default_roles=(TEACHER,),
)
register(
    "classroom.class_detail",
    _("View own classes' lessons and rosters"),
    "classroom:class-detail",
    parent="classroom.class_list",
    default_roles=(TEACHER,),
)
register(
    "classroom.lesson_detail",
    _("View own classes' lessons and homework"),
    "classroom:lesson-detail",
    parent="classroom.class_list",
    default_roles=(TEACHER,),
)
for codename, label, url_name in (
    ("lesson_create", _("Create lessons"), "classroom:lesson-create"),
    ("lesson_update", _("Edit lessons"), "classroom:lesson-update"),
    ("roll_call", _("Take the roll"), "classroom:roll-call"),
    ("grading", _("Grade homework"), "classroom:grading"),
):
    register(
        f"classroom.{codename}",
        label,
        url_name,
        methods=WRITE,
        parent="classroom.class_list",
        default_roles=(TEACHER,),
    )
register(
    "classroom.lesson_sync",
    _("Add study records for students who joined later"),
    "classroom:lesson-sync",
    methods=("POST",),
    parent="classroom.class_list",
    default_roles=(TEACHER,),
)
register(
    "classroom.homework_zip",
    _("Download a lesson's homework as one zip"),
    "classroom:homework-zip",
    parent="classroom.class_list",
    default_roles=(TEACHER,),
)
register(
    "classroom.question_list",
    _("Read own classes' questions"),
    "classroom:question-list",
    menu="classroom",
    menu_label=_("Questions"),
    icon="chat-left-dots",
    order=20,
    default_roles=(TEACHER,),
)
register(
    "classroom.answer_create",
    _("Answer questions"),
    "classroom:answer-create",
    methods=("POST",),
    parent="classroom.question_list",
    default_roles=(TEACHER,),
)
register(
    "classroom.question_trash",
    _("View and restore own classes' deleted questions"),
    "classroom:question-trash",
    menu="classroom",
    menu_label=_("Deleted questions"),
    icon="trash",
    order=25,
    default_roles=(TEACHER,),
)
register(
    "classroom.question_restore",
    _("Restore deleted questions"),
    "classroom:question-restore",
    methods=("POST",),
    parent="classroom.question_trash",
    default_roles=(TEACHER,),
)

# --- Both: the selectors admit a file's student and its class's teachers ------------------------------
register(
    "classroom.homework_file",
    _("Download homework files"),
    "classroom:homework-file",
    default_roles=(TEACHER, STUDENT),
)
register(
    "classroom.question_detail",
    _("Read a question and its answers"),
    "classroom:question-detail",
    default_roles=(TEACHER, STUDENT),
)
# The selectors admit the asker and the class's teachers; the service lets an asker delete only
# a question without answers.
register(
    "classroom.question_delete",
    _("Delete questions (own unanswered ones, or any of own classes' as a teacher)"),
    "classroom:question-delete",
    methods=("POST",),
    default_roles=(TEACHER, STUDENT),
)
register(
    "classroom.answer_accept",
    _("Accept an answer (the asker or the class's teachers)"),
    "classroom:answer-accept",
    methods=("POST",),
    default_roles=(TEACHER, STUDENT),
)

# --- Students ------------------------------------------------------------------------------------------
register(
    "classroom.my_classes",
    _("See own classes, syllabus and lessons (students)"),
    "classroom:my-classes",
    menu="classroom",
    menu_label=_("My classes"),
    icon="journal-bookmark",
    order=30,
    default_roles=(STUDENT,),
)
register(
    "classroom.my_class",
    _("Open own classes (students)"),
    "classroom:my-class",
    parent="classroom.my_classes",
    default_roles=(STUDENT,),
)
register(
    "classroom.my_lesson",
    _("Open lessons and hand in homework (students)"),
    "classroom:my-lesson",
    methods=WRITE,
    parent="classroom.my_classes",
    default_roles=(STUDENT,),
)
register(
    "classroom.my_homework_delete",
    _("Take back own homework before grading (students)"),
    "classroom:my-homework-delete",
    methods=("POST",),
    parent="classroom.my_classes",
    default_roles=(STUDENT,),
)
register(
    "classroom.my_grades",
    _("See own grades and rank (students)"),
    "classroom:my-grades",
    menu="classroom",
    menu_label=_("My grades"),
    icon="award",
    order=40,
    default_roles=(STUDENT,),
)
register(
    "classroom.my_questions",
    _("Search own classes' questions (students)"),
    "classroom:my-questions",
    menu="classroom",
    menu_label=_("Questions"),
    icon="chat-left-dots",
    order=50,
    default_roles=(STUDENT,),
)
register(
    "classroom.question_create",
    _("Ask questions (students)"),
    "classroom:question-create",
    methods=WRITE,
    parent="classroom.my_questions",
    default_roles=(STUDENT,),
)
