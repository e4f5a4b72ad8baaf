from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.reports_home, name="home"),
    path("<slug:slug>/", views.report_page, name="report"),
    path("home/key-numbers/", views.dashboard_card, name="dashboard_card"),
    path("<slug:slug>/subscribe/", views.subscribe, name="subscribe"),
    path("subscriptions/<int:pk>/stop/", views.unsubscribe, name="unsubscribe"),
]
