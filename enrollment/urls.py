from django.urls import path

from enrollment import views

app_name = "enrollment"

urlpatterns = [
    path("sales/customers/<int:pk>/enroll/", views.enrollment_create, name="enrollment-create"),
    path("sales/enrollments/", views.enrollment_list, name="enrollment-list"),
    path("sales/enrollments/<int:pk>/", views.enrollment_detail, name="enrollment-detail"),
    path("sales/enrollments/<int:pk>/delete/", views.enrollment_delete, name="enrollment-delete"),
    path("sales/enrollments/<int:pk>/restore/", views.enrollment_restore, name="enrollment-restore"),
    path("sales/enrollments/recycle-bin/", views.enrollment_trash, name="enrollment-trash"),
    path(
        "sales/enrollments/<int:pk>/link/",
        views.enrollment_link_regenerate,
        name="enrollment-link-regenerate",
    ),
    path("sales/enrollment-documents/<int:pk>/", views.enrollment_document, name="enrollment-document"),
    path("sales/enrollments/<int:pk>/payments/new/", views.payment_create, name="payment-create"),
    path("finance/payments/", views.payment_queue, name="payment-queue"),
    path("finance/payments/<int:pk>/confirm/", views.payment_confirm, name="payment-confirm"),
    path("finance/payments/<int:pk>/reject/", views.payment_reject, name="payment-reject"),
    path("finance/enrollments/", views.enrollment_review_list, name="enrollment-review-list"),
    path("finance/enrollments/<int:pk>/approve/", views.enrollment_approve, name="enrollment-approve"),
    path("finance/enrollments/<int:pk>/reject/", views.enrollment_reject, name="enrollment-reject"),
    path("my/enrollments/", views.my_enrollments, name="my-enrollments"),
    path("my/enrollments/<int:pk>/contract/", views.my_contract, name="my-contract"),
    path("enroll/<str:token>/", views.apply, name="apply"),
    path("enroll/<str:token>/documents/", views.apply_document_upload, name="apply-document-upload"),
    path(
        "enroll/<str:token>/documents/<int:document_pk>/delete/",
        views.apply_document_delete,
        name="apply-document-delete",
    ),
]
