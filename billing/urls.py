from django.urls import path

from billing import export_views, views

app_name = "billing"

urlpatterns = [
    path("", views.invoice_list, name="index"),
    path("<int:pk>/", views.invoice_detail, name="invoice-detail"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    path("<int:pk>/fattura-elettronica/", export_views.invoice_xml, name="invoice-xml"),
    path("<int:pk>/esporta/", export_views.invoice_rows_export, name="invoice-rows-export"),
    path("esporta/", export_views.invoice_export, name="invoice-export"),
    path("archivi/", export_views.invoice_archives, name="archives"),
    path("archivi/<int:pk>/scarica/", export_views.archive_download, name="archive-download"),
    path("<int:pk>/paga/", views.invoice_pay, name="invoice-pay"),
    path("paga/", views.invoices_pay, name="invoices-pay"),
    path("<int:pk>/paga/annulla/", views.payment_cancel, name="payment-cancel"),
    path("personali/", views.personal_invoice_list, name="personal-invoices"),
    path("impostazioni/", views.billing_settings, name="settings"),
    path("impostazioni/spedizione/", views.shipping_address, name="shipping-address"),
    path("impostazioni/fattura-elettronica/", views.e_invoicing, name="e-invoicing"),
    path("impostazioni/domiciliazione/", views.direct_debit, name="direct-debit"),
    path("impostazioni/nocarta/", views.paperless, name="paperless"),
    path("impostazioni/nocarta/disattiva/", views.paperless_off, name="paperless-off"),
    path("pagamenti/<str:reference>/", views.payment_result, name="payment-result"),
    path("pagamenti/notifica/<slug:provider>/", views.payment_webhook, name="payment-webhook"),
    path("pagamenti/sandbox/<str:reference>/", views.sandbox_checkout, name="sandbox-checkout"),
]
