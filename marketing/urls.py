from django.urls import path

from marketing import views

app_name = "marketing"

urlpatterns = [
    path("marketing/campaigns/", views.campaign_list, name="campaign-list"),
    path("marketing/campaigns/new/", views.campaign_create, name="campaign-create"),
    path("marketing/campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("marketing/campaigns/<int:pk>/edit/", views.campaign_update, name="campaign-update"),
    path("marketing/campaigns/<int:pk>/api-key/", views.campaign_api_key, name="campaign-api-key"),
    path("marketing/report/", views.campaign_report, name="campaign-report"),
    path("marketing/templates/", views.template_list, name="template-list"),
    path("marketing/templates/new/", views.template_create, name="template-create"),
    path("marketing/templates/<int:pk>/edit/", views.template_update, name="template-update"),
    path("marketing/templates/<int:pk>/", views.template_preview, name="template-preview"),
    path("marketing/templates/<int:pk>/test/", views.template_test_send, name="template-test-send"),
    path("marketing/mailings/", views.mailing_list, name="mailing-list"),
    path("marketing/mailings/new/", views.mailing_create, name="mailing-create"),
    path("marketing/mailings/<int:pk>/", views.mailing_detail, name="mailing-detail"),
    path("marketing/mailings/<int:pk>/queue/", views.mailing_queue, name="mailing-queue"),
    path("marketing/mailings/<int:pk>/cancel/", views.mailing_cancel, name="mailing-cancel"),
    # Public: the embeddable form, the website's API, the unsubscribe link of every mass email
    # (this path is services.UNSUBSCRIBE_PATH, which the worker builds without a request).
    path("lead/<str:public_key>/", views.lead_form, name="lead-form"),
    path("api/leads/<str:public_key>/", views.lead_api, name="lead-api"),
    path("marketing/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
