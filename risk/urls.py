from django.urls import path

from risk import views

app_name = "risk"

urlpatterns = [
    path("warnings/students/", views.student_warnings, name="student-warnings"),
    path("warnings/students/<int:pk>/ticket/", views.student_ticket, name="student-ticket"),
    path("warnings/customers/", views.customer_warnings, name="customer-warnings"),
    path("warnings/student-thresholds/", views.student_thresholds, name="student-thresholds"),
    path("warnings/customer-thresholds/", views.customer_thresholds, name="customer-thresholds"),
]
