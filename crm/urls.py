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
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/pool/", views.customer_pool, name="customer-pool"),
    path("customers/mine/", views.customer_mine, name="customer-mine"),
    path("customers/recycle-bin/", views.customer_trash, name="customer-trash"),
    path("customers/new/", views.customer_create, name="customer-create"),
    path("customers/notify-owner/", views.customer_notify_owner, name="customer-notify-owner"),
    path("customers/batch/", views.customer_batch, name="customer-batch"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", views.customer_update, name="customer-update"),
    path("customers/<int:pk>/delete/", views.customer_delete, name="customer-delete"),
    path("customers/<int:pk>/restore/", views.customer_restore, name="customer-restore"),
    path("customers/<int:pk>/claim/", views.customer_claim, name="customer-claim"),
    path("customers/<int:pk>/release/", views.customer_release, name="customer-release"),
    path("customers/<int:pk>/transfer/", views.customer_transfer, name="customer-transfer"),
    path("customers/<int:pk>/follow-ups/new/", views.followup_create, name="followup-create"),
    path("pool-rules/", views.poolpolicy_update, name="poolpolicy-update"),
    path("allocation/", views.allocation_update, name="allocation-update"),
]
