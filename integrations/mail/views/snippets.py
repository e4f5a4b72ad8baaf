"""Snippets: a person's list of their own and the shared ones, and the forms to keep them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from integrations.mail import merge, policies
from integrations.mail.forms import SnippetForm
from integrations.mail.models import Snippet
from integrations.mail.services import snippets as services
from workspace.forms import call_service

LIST = "mail/snippets.html"
FORM = "mail/snippet_form.html"


def _editable(request, pk) -> Snippet:
    """A snippet the viewer may change, or one 404 for missing and forbidden alike."""
    snippet = Snippet.objects.filter(pk=pk).first()
    if snippet is None or not policies.can_edit_snippet(request.user, snippet):
        raise Http404("No such snippet.")
    return snippet


@require_http_methods(["GET"])
def snippet_list(request):
    user = request.user
    rows = Snippet.objects.filter(Q(owner=None) | Q(owner=user)).order_by("owner", "name", "pk")
    for snippet in rows:
        snippet.editable = policies.can_edit_snippet(user, snippet)
    return render(request, LIST, {"snippets": rows, "merge_fields": merge.known_fields()})


@require_http_methods(["GET", "POST"])
def snippet_new(request):
    form = SnippetForm(request.POST or None, can_share=request.user.is_admin)
    if request.method == "POST" and form.is_valid():
        saved = call_service(form, lambda: _create(request.user, form.cleaned_data))
        if saved:
            messages.success(request, f"Snippet “{saved.name}” saved.")
            return redirect("mail:snippets")
    return _form_page(request, form)


def _create(actor, data: dict) -> Snippet:
    return services.create_snippet(
        actor=actor,
        name=data["name"],
        subject=data["subject"],
        body=data["body"],
        shared=data.get("shared", False),
    )


@require_http_methods(["GET", "POST"])
def snippet_edit(request, pk):
    snippet = _editable(request, pk)
    form = SnippetForm(request.POST or None, instance=Snippet.objects.get(pk=snippet.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = call_service(
            form,
            lambda: services.update_snippet(
                actor=request.user,
                snippet=snippet,
                name=data["name"],
                subject=data["subject"],
                body=data["body"],
            ),
        )
        if saved:
            messages.success(request, f"Snippet “{saved.name}” saved.")
            return redirect("mail:snippets")
    return _form_page(request, form, snippet)


def _form_page(request, form, snippet=None):
    context = {"form": form, "snippet": snippet, "merge_fields": merge.known_fields()}
    return render(request, FORM, context, status=422 if form.errors else 200)


@require_POST
def snippet_delete(request, pk):
    snippet = _editable(request, pk)
    try:
        services.delete_snippet(actor=request.user, snippet=snippet)
    except PermissionDenied as denied:
        messages.error(request, str(denied))
    else:
        messages.success(request, f"Snippet “{snippet.name}” deleted.")
    return redirect("mail:snippets")
