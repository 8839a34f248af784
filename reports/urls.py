from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/sales/", views.sales_report, name="sales-report"),
    path("reports/targets/", views.targets, name="targets"),
]
