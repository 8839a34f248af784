from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("setup/campuses/", views.campus_list, name="campus-list"),
    path("setup/campuses/new/", views.campus_create, name="campus-create"),
    path("setup/campuses/<int:pk>/", views.campus_update, name="campus-update"),
    path("setup/campuses/<int:pk>/active/", views.campus_set_active, name="campus-set-active"),
    path("setup/courses/", views.course_list, name="course-list"),
    path("setup/courses/new/", views.course_create, name="course-create"),
    path("setup/courses/<int:pk>/", views.course_update, name="course-update"),
    path("setup/courses/<int:pk>/active/", views.course_set_active, name="course-set-active"),
    path("setup/classes/", views.class_list, name="class-list"),
    path("setup/classes/new/", views.class_create, name="class-create"),
    path("setup/classes/<int:pk>/", views.class_detail, name="class-detail"),
    path("setup/classes/<int:pk>/edit/", views.class_update, name="class-update"),
    path("setup/classes/<int:pk>/active/", views.class_set_active, name="class-set-active"),
    path("setup/dictionary/", views.dictitem_list, name="dictitem-list"),
    path("setup/dictionary/new/", views.dictitem_create, name="dictitem-create"),
    path("setup/dictionary/<int:pk>/", views.dictitem_update, name="dictitem-update"),
    path("setup/dictionary/<int:pk>/active/", views.dictitem_set_active, name="dictitem-set-active"),
    path("sales/customers/", views.customer_list, name="customer-list"),
    path("sales/customers/pool/", views.customer_pool, name="customer-pool"),
    path("sales/customers/mine/", views.customer_mine, name="customer-mine"),
    path("sales/customers/recycle-bin/", views.customer_trash, name="customer-trash"),
    path("sales/customers/export/", views.customer_export, name="customer-export"),
    path("sales/customers/new/", views.customer_create, name="customer-create"),
    path("sales/customers/notify-owner/", views.customer_notify_owner, name="customer-notify-owner"),
    path("sales/customers/batch/", views.customer_batch, name="customer-batch"),
    path("sales/customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("sales/customers/<int:pk>/edit/", views.customer_update, name="customer-update"),
    path("sales/customers/<int:pk>/delete/", views.customer_delete, name="customer-delete"),
    path("sales/customers/<int:pk>/restore/", views.customer_restore, name="customer-restore"),
    path("sales/customers/<int:pk>/claim/", views.customer_claim, name="customer-claim"),
    path("sales/customers/<int:pk>/release/", views.customer_release, name="customer-release"),
    path("sales/customers/<int:pk>/transfer/", views.customer_transfer, name="customer-transfer"),
    path("sales/customers/<int:pk>/follow-ups/new/", views.followup_create, name="followup-create"),
    path("sales/pool-rules/", views.poolpolicy_update, name="poolpolicy-update"),
    path("sales/allocation/", views.allocation_update, name="allocation-update"),
]
