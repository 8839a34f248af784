from django.urls import path

from rbac import views

app_name = "rbac"

urlpatterns = [
    path("roles/", views.role_list, name="role-list"),
    path("roles/new/", views.role_create, name="role-create"),
    path("roles/<int:pk>/", views.role_update, name="role-update"),
    path("roles/<int:pk>/delete/", views.role_delete, name="role-delete"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_update, name="user-update"),
    path("users/<int:pk>/active/", views.user_set_active, name="user-set-active"),
    path("users/<int:pk>/approve/", views.user_approve, name="user-approve"),
    path("users/<int:pk>/password-link/", views.user_send_password_link, name="user-password-link"),
    path("departments/", views.department_list, name="department-list"),
    path("departments/new/", views.department_create, name="department-create"),
    path("departments/<int:pk>/", views.department_update, name="department-update"),
    path("departments/<int:pk>/active/", views.department_set_active, name="department-set-active"),
]
