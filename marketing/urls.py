from django.urls import path

from marketing import views

app_name = "marketing"
urlpatterns = [
    path("", views.marketing_home, name="home"),
    # --- segments
    # --- campaigns
    # --- forms
]
