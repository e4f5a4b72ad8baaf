"""URLs of the mail pages: compose, retry, snippets (included by integrations/mail/urls.py)."""

from django.urls import path

from integrations.mail.views import compose, snippets

urlpatterns = [
    path("compose/", compose.compose, name="compose"),
    path("compose/snippet/", compose.compose_snippet, name="compose_snippet"),
    path("messages/<int:pk>/retry/", compose.retry, name="retry"),
    path("snippets/", snippets.snippet_list, name="snippets"),
    path("snippets/new/", snippets.snippet_new, name="snippet_new"),
    path("snippets/<int:pk>/", snippets.snippet_edit, name="snippet_edit"),
    path("snippets/<int:pk>/delete/", snippets.snippet_delete, name="snippet_delete"),
]
