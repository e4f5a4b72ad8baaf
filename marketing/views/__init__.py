"""Marketing's pages: the overview, and (in their modules) segments, campaigns, forms."""

from django.shortcuts import render


def marketing_home(request):
    return render(request, "marketing/home.html", {})
