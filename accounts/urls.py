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
]
