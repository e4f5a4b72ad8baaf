"""The builder pages and the public page: permissions, framing, abuse, escaping, queries."""

import re

import pytest
from django.urls import reverse

from marketing.models import Submission, WebForm
from marketing.services import submissions
from records.models import Client
from tests.marketing.forms_helpers import build_form, lead


@pytest.fixture
def webform(marketer, sales, member):
    return build_form(marketer, sales, member)


def public_url(form, query=""):
    return reverse("marketing:form_public", args=[form.key]) + query


def rendered_token(client, form) -> str:
    page = client.get(public_url(form)).content.decode()
    return re.search(r'name="rendered" value="([^"]+)"', page).group(1)


def post_lead(client, form, **values):
    data = {"rendered": rendered_token(client, form), **lead(**values)}
    return client.post(public_url(form), data, REMOTE_ADDR=values.pop("ip", "10.1.1.1"))


# --- The public page ----------------------------------------------------------------


def test_public_page_is_framable_only_by_the_allowed_origins(client, webform):
    response = client.get(public_url(webform, "?utm_source=news&utm_campaign=spring"))
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    ancestors = re.search(r"frame-ancestors ([^;]+)", csp).group(1).split()
    assert ancestors == ["https://www.example.com", "https://shop.example.org"]
    assert "script-src 'self'" in csp
    assert "X-Frame-Options" not in response.headers
    page = response.content.decode()
    assert 'name="utm_source" value="news"' in page and 'name="utm_campaign" value="spring"' in page


def test_no_origins_means_no_framing_and_other_pages_keep_deny(client, marketer, sales, member):
    form = build_form(marketer, sales, member, allowed_origins="")
    csp = client.get(public_url(form)).headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    client.force_login(member)
    assert client.get(reverse("marketing:form_list")).headers["X-Frame-Options"] == "DENY"


def test_a_submission_is_taken_and_thanked(client, webform):
    response = post_lead(client, webform, utm_source="news", referrer="https://www.example.com/a")
    assert response.status_code == 302 and response.url.endswith("?sent=1")
    submission = Submission.objects.get()
    assert submission.client.name == "Globex" and submission.utm_source == "news"
    assert submission.referrer == "https://www.example.com/a"
    thanks = client.get(response.url)
    assert "Thank you" in thanks.content.decode()


def test_redirect_after_sending_is_allowed_as_a_form_action(client, marketer, sales, member):
    form = build_form(marketer, sales, member, redirect_url="https://www.example.com/thanks")
    response = post_lead(client, form)
    assert response.status_code == 302 and response.url == "https://www.example.com/thanks"
    assert (
        "form-action 'self' https://www.example.com" in response.headers["Content-Security-Policy"]
    )


def test_bad_input_is_shown_with_the_reason_and_kept(client, webform):
    response = post_lead(client, webform, email="nope", country="ZZ", name="Rita <b>")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter an email address like ana@example.com." in page
    assert "Pick a country from the list." in page
    assert 'value="Rita &lt;b&gt;"' in page
    assert not Submission.objects.exists()


def test_a_post_without_our_token_is_refused(client, webform):
    response = client.post(public_url(webform), lead())
    assert response.status_code == 400 and "open too long" in response.content.decode()
    assert not Submission.objects.exists()


def test_honeypot_pretends_success_and_stores_nothing(client, webform):
    response = post_lead(client, webform, homepage="http://buy.example")
    assert response.status_code == 302 and response.url.endswith("?sent=1")
    assert not Submission.objects.exists() and not Client.objects.exists()


@pytest.mark.backend
def test_rate_limit_answers_429_with_a_readable_page(client, webform, settings):
    settings.MARKETING_FORM_RATE_PER_HOUR = 1
    assert post_lead(client, webform, ip="10.7.7.7").status_code == 302
    refused = post_lead(client, webform, ip="10.7.7.7", email="again@else.example")
    assert refused.status_code == 429
    assert "Too many submissions" in refused.content.decode()
    assert Submission.objects.count() == 1


def test_ten_megabytes_are_refused_before_parsing(client, webform):
    data = {"rendered": rendered_token(client, webform), **lead(message="x" * 10_000_000)}
    response = client.post(public_url(webform), data)
    assert response.status_code == 413
    assert "larger than this form accepts" in response.content.decode()
    assert not Submission.objects.exists() and not Client.objects.exists()


def test_inactive_or_unknown_form_is_404(client, webform):
    WebForm.objects.filter(pk=webform.pk).update(active=False)
    assert client.get(public_url(webform)).status_code == 404
    assert client.post(public_url(webform), lead()).status_code == 404


def test_scripts_stay_text_on_the_client_page_bell_and_submissions(client, webform, member):
    script = "<script>alert('x')</script>"
    submissions.submit_form(
        form=webform, data=lead(name=f"Eve {script}", company=f"Evil {script}", message=script)
    )
    client.force_login(member)
    submission = Submission.objects.get()
    for url in (
        reverse("records:client_detail", args=[submission.client.pk]),
        reverse("marketing:form_detail", args=[webform.pk]),
        reverse("home"),
    ):
        page = client.get(url).content.decode()
        assert script not in page, url
        assert "&lt;script&gt;" in page, url


# --- The builder --------------------------------------------------------------------


def builder_post(**overrides):
    data = {
        "name": "Demo request",
        "title": "Book a demo",
        "submit_label": "Send",
        "consent_text": "Send me news.",
        "department": "",
        "fallback_owner": "",
        "allowed_origins": "https://www.example.com",
        "active": "on",
        "fields-TOTAL_FORMS": "2",
        "fields-INITIAL_FORMS": "0",
        "fields-0-maps_to": "contact.email",
        "fields-0-label": "Email",
        "fields-0-required": "on",
        "fields-0-ORDER": "2",
        "fields-1-maps_to": "contact.name",
        "fields-1-label": "Name",
        "fields-1-ORDER": "1",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-0-kind": "existing_owner",
        "rules-0-ORDER": "1",
    }
    data.update(overrides)
    return data


def test_marketing_builds_a_form_with_fields_in_the_order_given(client, marketer, sales, member):
    client.force_login(marketer)
    assert client.get(reverse("marketing:form_new")).status_code == 200
    response = client.post(
        reverse("marketing:form_new"),
        builder_post(department=sales.pk, fallback_owner=member.pk),
    )
    form = WebForm.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "marketing:form_detail", args=[form.pk]
    )
    assert [row["maps_to"] for row in form.fields] == ["contact.name", "contact.email"]
    assert form.rules.get().kind == "existing_owner"
    page = client.get(response.url).content.decode()
    assert "&lt;iframe src=&quot;http://testserver/marketing/f/" in page


def test_builder_errors_keep_what_was_typed(client, marketer, sales, member):
    client.force_login(marketer)
    response = client.post(
        reverse("marketing:form_new"),
        builder_post(
            department=sales.pk,
            fallback_owner=member.pk,
            allowed_origins="http://x.example",
            **{"fields-0-maps_to": "contact.phone"},
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200 and not WebForm.objects.exists()
    assert "Add a required email field" in page or "not an https origin" in page
    assert 'value="Demo request"' in page


def test_others_read_but_cannot_build(client, member, webform):
    client.force_login(member)
    assert client.get(reverse("marketing:form_list")).status_code == 200
    detail = client.get(reverse("marketing:form_detail", args=[webform.pk])).content.decode()
    assert reverse("marketing:form_edit", args=[webform.pk]) not in detail
    assert client.get(reverse("marketing:form_new")).status_code == 403
    assert client.get(reverse("marketing:form_edit", args=[webform.pk])).status_code == 403
    assert (
        client.post(reverse("marketing:form_edit", args=[webform.pk]), builder_post()).status_code
        == 403
    )


def test_edit_page_shows_the_form(client, marketer, webform):
    client.force_login(marketer)
    page = client.get(reverse("marketing:form_edit", args=[webform.pk])).content.decode()
    assert 'value="Contact us"' in page and "fields-7-maps_to" in page


def test_list_and_detail_query_counts_do_not_grow(
    client, marketer, sales, member, django_assert_max_num_queries
):
    for n in range(3):
        form = build_form(marketer, sales, member)
        for k in range(4):
            submissions.submit_form(form=form, data=lead(email=f"p{n}{k}@c{n}{k}.example"))
    client.force_login(member)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("marketing:form_list")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("marketing:form_detail", args=[form.pk])).status_code == 200
