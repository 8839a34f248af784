from django.urls import path

from classroom import views

app_name = "classroom"

urlpatterns = [
    # Teachers and advisers
    path("teaching/classes/", views.class_list, name="class-list"),
    path("teaching/classes/<int:pk>/", views.class_detail, name="class-detail"),
    path("teaching/classes/<int:pk>/lessons/new/", views.lesson_create, name="lesson-create"),
    path("teaching/lessons/<int:pk>/", views.lesson_detail, name="lesson-detail"),
    path("teaching/lessons/<int:pk>/edit/", views.lesson_update, name="lesson-update"),
    path("teaching/lessons/<int:pk>/records/", views.lesson_sync, name="lesson-sync"),
    path("teaching/lessons/<int:pk>/roll-call/", views.roll_call, name="roll-call"),
    path("teaching/lessons/<int:pk>/grades/", views.grading, name="grading"),
    path("teaching/lessons/<int:pk>/homework.zip", views.homework_zip, name="homework-zip"),
    path("teaching/questions/", views.question_list, name="question-list"),
    path("teaching/questions/<int:pk>/answer/", views.answer_create, name="answer-create"),
    path("teaching/questions/recycle-bin/", views.question_trash, name="question-trash"),
    path("teaching/questions/<int:pk>/restore/", views.question_restore, name="question-restore"),
    # Both: a homework file (its student, the class's teachers), a question and its answers
    path("homework/<int:pk>/", views.homework_file, name="homework-file"),
    path("questions/<int:pk>/", views.question_detail, name="question-detail"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question-delete"),
    path("answers/<int:pk>/accept/", views.answer_accept, name="answer-accept"),
    # Students
    path("my/classes/", views.my_classes, name="my-classes"),
    path("my/classes/<int:pk>/", views.my_class, name="my-class"),
    path("my/lessons/<int:pk>/", views.my_lesson, name="my-lesson"),
    path("my/homework/<int:pk>/delete/", views.my_homework_delete, name="my-homework-delete"),
    path("my/grades/", views.my_grades, name="my-grades"),
    path("my/questions/", views.my_questions, name="my-questions"),
    path("my/questions/new/", views.question_create, name="question-create"),
]
