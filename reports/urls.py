from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.reports_home, name="home"),
    path("<slug:slug>/", views.report_page, name="report"),
]
