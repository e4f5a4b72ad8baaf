"""URLs of the mail pages: threads (included by integrations/mail/urls.py).

``mail:thread`` is the conversation page others link to; the message parts
(quoted history, the body with its remote images) are fetched on request only;
attachments are downloaded (``mail:attachment``) or, for a ``cid:`` image in a
mail's HTML, shown inline (``mail:inline``: safe image types only).
"""

from django.urls import path

from integrations.mail.views import attachments, threads

urlpatterns = [
    path("threads/<int:pk>/", threads.thread_detail, name="thread"),
    path("threads/<int:pk>/privacy/", threads.thread_privacy, name="thread_privacy"),
    path("messages/<int:pk>/quoted/", threads.message_quoted, name="message_quoted"),
    path("messages/<int:pk>/images/", threads.message_images, name="message_images"),
    path("messages/<int:pk>/original/", threads.message_original, name="message_original"),
    path("attachments/<int:pk>/", attachments.download, name="attachment"),
    path("attachments/<int:pk>/inline/", attachments.inline, name="inline"),
]
