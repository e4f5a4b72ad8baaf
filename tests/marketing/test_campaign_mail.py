"""A campaign's email: merge fields checked and filled in escaped, layouts, footer, links."""

import pytest

from marketing import mail, tracking
from marketing.models import Campaign, CampaignLink, Recipient
from records import services as records


def campaign(**fields) -> Campaign:
    values = {"name": "News", "subject": "Hi", "body": "Hello", "layout": "plain"} | fields
    return Campaign(**values)


# --- check_content ------------------------------------------------------------------


def test_known_merge_fields_and_filters_pass():
    body = "Hi {{ contact.first_name|default:'there'|title }} of {{ client.name|upper }}"
    assert mail.check_content(subject="For {{ contact.name }}", body=body) == []


def test_every_unknown_field_is_named_with_its_line():
    errors = mail.check_content(
        subject="{{ contact.nickname }}", body="ok\n{{ client.revenue }} {{ user.password }}"
    )
    assert errors[0].startswith("Subject: “contact.nickname” is not a merge field.")
    assert errors[1].startswith("Body, line 2: “client.revenue” is not a merge field.")
    assert errors[2].startswith("Body, line 2: “user.password” is not a merge field.")
    assert "contact.first_name" in errors[0]  # says what can be used


def test_tags_filters_and_filter_arguments_are_checked():
    errors = mail.check_content(
        subject="",
        body="{% load static %}{% include 'x.html' %}{{ contact.name|safe }}"
        "{{ contact.name|default:owner.secret }}{{ }}",
    )
    assert len(errors) == 5
    assert "“{% load static %}” is not allowed" in errors[0]
    assert "“{% include 'x.html' %}” is not allowed" in errors[1]
    assert "Invalid filter: 'safe'" in errors[2] and "default, upper, lower, title" in errors[2]
    assert "“owner.secret” is not a merge field" in errors[3]
    assert "is empty" in errors[4]


def test_an_unknown_field_never_renders_as_a_blank():
    with pytest.raises(ValueError, match="unknown merge field"):
        mail.render_message(campaign=campaign(body="Hi {{ contact.nickname }}"))


# --- render_message -----------------------------------------------------------------


@pytest.fixture
def bob(member, acme):
    acme.industry, acme.country = "Robotics", "DE"
    acme.save()
    return records.create_contact(
        actor=member,
        client=acme,
        name="*Bob* <b>Builder</b> [x](https://evil.example)",
        title="CTO",
        emails=["bob@acme.example"],
    )


def test_merge_values_are_escaped_before_the_markdown(bob, member):
    body = "Dear {{ contact.first_name }}, {{ contact.name }} ({{ contact.title }}) at "
    body += "{{ client.name }}, {{ client.country }}, {{ client.industry }}; {{ owner.name }}"
    rendered = mail.render_message(campaign=campaign(body=body), contact=bob)
    assert "<em>" not in rendered.html and "<b>" not in rendered.html
    assert 'href="https://evil.example"' not in rendered.html
    assert "*Bob* &lt;b&gt;Builder&lt;/b&gt; [x](https://evil" in rendered.html
    assert "Dear *Bob*, " in rendered.text  # the text part shows the values as typed
    assert "(CTO) at Acme GmbH, Germany, Robotics; " + member.get_full_name() in rendered.text


def test_a_preview_has_sample_values_plain_links_and_no_tracking():
    rendered = mail.render_message(
        campaign=campaign(
            subject="News for {{ contact.first_name }}",
            body="Hi {{ contact.first_name }}, see [this](https://example.com/a?x=1&y=2).",
            utm_campaign="dec-news",
        )
    )
    assert rendered.subject == "News for Alex"
    assert (
        'href="https://example.com/a?x=1&amp;y=2&amp;utm_source=workspace&amp;utm_medium=email'
        '&amp;utm_campaign=dec-news"' in rendered.html
    )
    assert "/m/o/" not in rendered.html and "/m/c/" not in rendered.html
    assert "/m/u/" not in rendered.html and "own unsubscribe link" in rendered.html


@pytest.mark.parametrize("layout", Campaign.Layout.values)
def test_each_layout_wraps_the_body_with_a_preheader_and_footer(layout):
    rendered = mail.render_message(
        campaign=campaign(layout=layout, preheader="Inside: <news>", body="**Big** news")
    )
    assert "<strong>Big</strong> news" in rendered.html
    assert "Inside: &lt;news&gt;" in rendered.html
    assert "because you agreed to hear from us" in rendered.html
    assert "because you agreed to hear from us" in rendered.text


def test_a_recipients_copy_tracks_the_campaigns_links_and_opens(db, bob, marketer):
    sent = campaign(
        body="[a](https://a.example/) and [b](https://b.example/) {{ contact.email }}",
        created_by=marketer,
    )
    sent.save()
    links = [
        CampaignLink.objects.create(campaign=sent, url=url, position=position)
        for position, url in enumerate(mail.campaign_links(sent))
    ]
    assert [link.url for link in links] == ["https://a.example/", "https://b.example/"]
    recipient = Recipient.objects.create(
        campaign=sent, contact=bob, client=bob.client, email="bob@acme.example"
    )
    rendered = mail.render_message(campaign=sent, recipient=recipient)
    assert f'href="{tracking.click_url(recipient, links[0].pk)}"' in rendered.html
    assert f'href="{tracking.click_url(recipient, links[1].pk)}"' in rendered.html
    assert "https://a.example/" not in rendered.html
    assert f'src="{tracking.open_url(recipient)}"' in rendered.html
    assert f'href="{tracking.unsubscribe_url(recipient)}"' in rendered.html
    assert tracking.unsubscribe_url(recipient) in rendered.text
    assert "bob@acme.example" in rendered.html  # the address merged (a bare address)


def test_tokens_are_compact_and_refuse_tampering():
    token = tracking._token(tracking.CLICK, 123456, 7)
    assert token.startswith("w7e.7:") and len(token) < 60
    assert tracking.read_token(tracking.CLICK, token, 2) == (123456, 7)
    assert tracking.read_token(tracking.OPEN, token, 2) is None  # another purpose's salt
    assert tracking.read_token(tracking.CLICK, "w7e.8" + token[5:], 2) is None
    assert tracking.read_token(tracking.CLICK, "garbage", 2) is None
