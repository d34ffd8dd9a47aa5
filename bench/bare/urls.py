from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

ROWS = [
    {"number": f"+39335{n:07d}", "kind": "Mobile", "assignee": f"Persona {n}", "state": "Attiva"}
    for n in range(50)
]


def table(request: HttpRequest) -> HttpResponse:
    return render(request, "table.html", {"rows": ROWS})


urlpatterns = [path("", table)]
