from django.urls import path

from marketing import views
from marketing.views import campaigns, consent, form_public, forms, segments, tracking

app_name = "marketing"
urlpatterns = [
    path("", views.marketing_home, name="home"),
    path("contacts/<int:pk>/consent/", consent.contact_consent, name="contact_consent"),
    path("contacts/<int:pk>/unsubscribe/", consent.contact_unsubscribe, name="contact_unsubscribe"),
    # --- segments
    path("segments/", segments.segment_list, name="segment_list"),
    path("segments/new/", segments.segment_new, name="segment_new"),
    path("segments/builder/", segments.segment_builder_view, name="segment_builder"),
    path("segments/count/", segments.segment_count, name="segment_count"),
    path("segments/<int:pk>/", segments.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/members/", segments.segment_members, name="segment_members"),
    path("segments/<int:pk>/freeze/", segments.segment_freeze, name="segment_freeze"),
    path("segments/<int:pk>/delete/", segments.segment_delete, name="segment_delete"),
    # --- campaigns
    path("m/u/<str:token>/", tracking.unsubscribe, name="campaign_unsubscribe"),
    path("m/o/<str:token>.gif", tracking.open_pixel, name="campaign_open"),
    path("m/c/<str:token>/", tracking.click, name="campaign_click"),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("campaigns/check/", campaigns.campaign_check, name="campaign_check"),
    path("campaigns/segment-count/", campaigns.segment_count, name="campaign_segment_count"),
    path("campaigns/preview/", campaigns.campaign_preview, name="campaign_preview_new"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/preview/", campaigns.campaign_preview, name="campaign_preview"),
    path("campaigns/<int:pk>/cancel/", campaigns.campaign_cancel, name="campaign_cancel"),
    path("campaigns/<int:pk>/duplicate/", campaigns.campaign_duplicate, name="campaign_duplicate"),
    path("campaigns/<int:pk>/cost/", campaigns.campaign_cost, name="campaign_cost"),
    # --- forms
    path("forms/", forms.form_list, name="form_list"),
    path("forms/new/", forms.form_new, name="form_new"),
    path("forms/<int:pk>/", forms.form_detail, name="form_detail"),
    path("forms/<int:pk>/edit/", forms.form_edit, name="form_edit"),
    path("f/<uuid:key>/", form_public.form_public, name="form_public"),
]
