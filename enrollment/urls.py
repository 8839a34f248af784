from django.urls import path

from enrollment import views

app_name = "enrollment"

urlpatterns = [
    path("sales/customers/<int:pk>/enroll/", views.enrollment_create, name="enrollment-create"),
    path("sales/enrollments/", views.enrollment_list, name="enrollment-list"),
    path("sales/enrollments/<int:pk>/", views.enrollment_detail, name="enrollment-detail"),
    path(
        "sales/enrollments/<int:pk>/link/",
        views.enrollment_link_regenerate,
        name="enrollment-link-regenerate",
    ),
    path("sales/enrollment-documents/<int:pk>/", views.enrollment_document, name="enrollment-document"),
    path("finance/enrollments/", views.enrollment_review_list, name="enrollment-review-list"),
    path("finance/enrollments/<int:pk>/approve/", views.enrollment_approve, name="enrollment-approve"),
    path("finance/enrollments/<int:pk>/reject/", views.enrollment_reject, name="enrollment-reject"),
    path("enroll/<str:token>/", views.apply, name="apply"),
    path("enroll/<str:token>/documents/", views.apply_document_upload, name="apply-document-upload"),
    path(
        "enroll/<str:token>/documents/<int:document_pk>/delete/",
        views.apply_document_delete,
        name="apply-document-delete",
    ),
]
