from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.invoice_list, name="index"),
    path("<int:pk>/", views.invoice_detail, name="invoice-detail"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    path("<int:pk>/paga/", views.invoice_pay, name="invoice-pay"),
    path("<int:pk>/paga/annulla/", views.payment_cancel, name="payment-cancel"),
    path("personali/", views.personal_invoice_list, name="personal-invoices"),
    path("impostazioni/", views.billing_settings, name="settings"),
    path("impostazioni/spedizione/", views.shipping_address, name="shipping-address"),
    path("impostazioni/domiciliazione/", views.direct_debit, name="direct-debit"),
    path("impostazioni/nocarta/", views.paperless, name="paperless"),
    path("impostazioni/nocarta/disattiva/", views.paperless_off, name="paperless-off"),
    path("pagamenti/<str:reference>/", views.payment_result, name="payment-result"),
    path("pagamenti/notifica/<slug:provider>/", views.payment_webhook, name="payment-webhook"),
    path("pagamenti/sandbox/<str:reference>/", views.sandbox_checkout, name="sandbox-checkout"),
]
