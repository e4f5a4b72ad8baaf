from django.urls import path

from automation import views

app_name = "automation"

urlpatterns = [
    path("", views.rule_list, name="rule_list"),
    path("new/", views.rule_new, name="rule_new"),
    path("builder/", views.rule_builder, name="rule_builder"),
    path("templates/<slug:key>/", views.rule_from_template, name="rule_from_template"),
    path("<int:pk>/", views.rule_detail, name="rule_detail"),
    path("<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("<int:pk>/switch/", views.rule_switch, name="rule_switch"),
    path("<int:pk>/move/", views.rule_move, name="rule_move"),
    path("<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("<int:pk>/test/", views.rule_dry_run, name="rule_dry_run"),
]
