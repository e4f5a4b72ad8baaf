from django.urls import path

from accounts import views

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/people/<int:pk>/", views.person, name="person"),
    path("team/departments/new/", views.department_create, name="department_create"),
    path("team/invitations/", views.invitations, name="invitations"),
    path("team/invitations/<int:pk>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("team/invitations/<int:pk>/resend/", views.resend_invitation, name="resend_invitation"),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("profile/", views.profile, name="profile"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.notification_bell, name="notification_bell"),
    path("notifications/read/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
