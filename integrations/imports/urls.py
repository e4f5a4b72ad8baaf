from django.urls import path

from integrations.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/mapping/", views.run_mapping, name="mapping"),
    path("<int:pk>/preview/", views.run_preview, name="preview"),
    path("<int:pk>/start/", views.run_start, name="start"),
    path("<int:pk>/undo/", views.run_undo, name="undo"),
]
