from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    # Staff
    path("service/tickets/", views.ticket_list, name="ticket-list"),
    path("service/tickets/export/", views.ticket_export, name="ticket-export"),
    path("service/tickets/new/", views.ticket_create, name="ticket-create"),
    path("service/tickets/<int:pk>/", views.ticket_detail, name="ticket-detail"),
    *(
        path(f"service/tickets/<int:pk>/{action}/", view, name=f"ticket-{action}")
        for action, view in views.STAFF_ACTIONS.items()
    ),
    path("service/deadlines/", views.deadlines, name="deadlines"),
    path("service/report/", views.report, name="report"),
    # Students
    path("my/tickets/", views.my_ticket_list, name="my-ticket-list"),
    path("my/tickets/new/", views.my_ticket_create, name="my-ticket-create"),
    path("my/tickets/<int:pk>/", views.my_ticket_detail, name="my-ticket-detail"),
    *(
        path(f"my/tickets/<int:pk>/{action}/", view, name=f"my-ticket-{action}")
        for action, view in views.STUDENT_ACTIONS.items()
    ),
]
