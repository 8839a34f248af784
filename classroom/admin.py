from django.contrib import admin

from classroom.models import Answer, HomeworkFile, Lesson, Question, StudyRecord


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["class_list", "number", "title", "date", "teacher"]
    list_select_related = ["class_list__course", "class_list__campus", "teacher"]
    raw_id_fields = ["class_list", "teacher"]


@admin.register(StudyRecord)
class StudyRecordAdmin(admin.ModelAdmin):
    list_display = ["lesson", "student", "attendance", "score", "homework_submitted_at"]
    list_filter = ["attendance"]
    list_select_related = ["lesson", "student__customer"]
    raw_id_fields = ["lesson", "student", "graded_by"]


@admin.register(HomeworkFile)
class HomeworkFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "record", "size", "is_late", "uploaded_at"]
    list_select_related = ["record__lesson", "record__student__customer"]
    raw_id_fields = ["record"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["title", "class_list", "asked_by", "answer_count", "is_solved", "created_at"]
    list_select_related = ["class_list__course", "class_list__campus", "asked_by"]
    raw_id_fields = ["class_list", "lesson", "asked_by"]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["question", "author", "is_accepted", "created_at"]
    raw_id_fields = ["question", "author"]
