from django.urls import path

from integrations.exports import views

app_name = "exports"
urlpatterns = [
    path("full/", views.full_page, name="full"),
    path("full/start/", views.full_start, name="full_start"),
    path("full/<str:name>/", views.full_download, name="full_download"),
    path("full/<str:name>/delete/", views.full_delete, name="full_delete"),
    path("contacts/<int:pk>/vcard/", views.contact_vcard, name="contact_vcard"),
    path("<str:list_name>/<str:fmt>/", views.list_export, name="list"),
]
