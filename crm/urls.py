from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("campuses/", views.campus_list, name="campus-list"),
    path("campuses/new/", views.campus_create, name="campus-create"),
    path("campuses/<int:pk>/", views.campus_update, name="campus-update"),
    path("campuses/<int:pk>/active/", views.campus_set_active, name="campus-set-active"),
    path("courses/", views.course_list, name="course-list"),
    path("courses/new/", views.course_create, name="course-create"),
    path("courses/<int:pk>/", views.course_update, name="course-update"),
    path("courses/<int:pk>/active/", views.course_set_active, name="course-set-active"),
    path("classes/", views.class_list, name="class-list"),
    path("classes/new/", views.class_create, name="class-create"),
    path("classes/<int:pk>/", views.class_detail, name="class-detail"),
    path("classes/<int:pk>/edit/", views.class_update, name="class-update"),
    path("classes/<int:pk>/active/", views.class_set_active, name="class-set-active"),
    path("dictionary/", views.dictitem_list, name="dictitem-list"),
    path("dictionary/new/", views.dictitem_create, name="dictitem-create"),
    path("dictionary/<int:pk>/", views.dictitem_update, name="dictitem-update"),
    path("dictionary/<int:pk>/active/", views.dictitem_set_active, name="dictitem-set-active"),
]
