from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("register/", views.register, name="register"),
    path("profile/", views.profile, name="profile"),
    path("password/change/", views.password_change, name="password-change"),
    path("password/change/done/", views.password_change_done, name="password-change-done"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/done/", views.password_reset_done, name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("password/reset/complete/", views.password_reset_complete, name="password-reset-complete"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
]
