from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import staff
from accounts.models import Company, User
from tracking.selectors import open_requests

SEARCH_LIMIT = 50


@staff
def index(request: HttpRequest) -> HttpResponse:
    """The operators' console: the requests waiting for the back office."""
    return render(request, "backoffice/index.html", {"requests": open_requests()[:50]})


@staff
def search(request: HttpRequest) -> HttpResponse:
    """Find a company (name, Partita IVA, customer code) or a person (name, username,
    e-mail, codice fiscale): the path behind a call to 191 that changes the LR."""
    query = request.GET.get("q", "").strip()[:100]
    companies: list[Company] = []
    people: list[User] = []
    if len(query) >= 2:
        companies = list(
            Company.objects.filter(
                Q(name__icontains=query)
                | Q(vat_number__startswith=query)
                | Q(customer_code__iexact=query)
            ).order_by("name")[:SEARCH_LIMIT]
        )
        words = query.split()
        people_filter = (
            Q(username__iexact=query) | Q(email__iexact=query) | Q(tax_code__iexact=query)
        )
        name_filter = Q()
        for word in words:
            name_filter &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        people = list(
            User.objects.filter(people_filter | name_filter, company__isnull=False)
            .select_related("company")
            .order_by("last_name", "first_name")[:SEARCH_LIMIT]
        )
    context = {"query": query, "companies": companies, "people": people}
    return render(request, "backoffice/search.html", context)
