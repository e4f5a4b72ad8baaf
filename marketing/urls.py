from django.urls import path

from marketing import views
from marketing.views import consent

app_name = "marketing"
urlpatterns = [
    path("", views.marketing_home, name="home"),
    path("contacts/<int:pk>/consent/", consent.contact_consent, name="contact_consent"),
    path(
        "contacts/<int:pk>/unsubscribe/", consent.contact_unsubscribe, name="contact_unsubscribe"
    ),
    # --- segments
    # --- campaigns
    # --- forms
]
