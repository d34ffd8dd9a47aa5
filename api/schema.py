"""The OpenAPI description of /api/v1/, served at /api/v1/openapi.json. Its enums are the
models' choices, so the schema says what the API accepts whenever a choice is added."""

from typing import Any

from api.models import API_CHANNELS, ApiScope
from billing.models import InvoiceItem, PaymentMethod
from consumption.models import UsageKind
from tracking.models import Channel, RequestKind, RequestState

REQUEST_KINDS = RequestKind.values
REQUEST_STATES = RequestState.values

MONEY = {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$", "example": "15.00"}
DATE = {"type": "string", "format": "date", "example": "2026-10-05"}

INVOICE = {
    "type": "object",
    "required": [
        "number",
        "company_vat_number",
        "contract",
        "issue_date",
        "period_start",
        "period_end",
        "due_date",
        "items",
    ],
    "properties": {
        "number": {
            "type": "string",
            "maxLength": 20,
            "description": "At most 20 characters, as FatturaPA's Numero.",
            "example": "FT-2026-000123",
        },
        "company_vat_number": {"type": "string", "pattern": r"^\d{11}$"},
        "contract": {"type": "string", "description": "The contract's number."},
        "personal_line": {
            "type": "string",
            "description": "For a personal invoice: the Dual Billing line's number.",
        },
        "billed_to_tax_code": {
            "type": "string",
            "maxLength": 16,
            "example": "RSSMRA80A01H501U",
            "description": "For a personal invoice: the codice fiscale of the person it is "
            "issued to, one of the customer's people (otherwise 400). It stays theirs whoever "
            "holds the line later. Without it, the line's holder when the invoice is first "
            "loaded (a correction keeps the person of the invoice it corrects).",
        },
        "issue_date": DATE,
        "period_start": DATE,
        "period_end": DATE,
        "due_date": DATE,
        "payment_method": {
            "type": "string",
            "enum": PaymentMethod.values,
            "default": PaymentMethod.BANK_TRANSFER.value,
        },
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["category", "service", "amount"],
                "properties": {
                    "line": {"type": "string", "description": "The line's number, if any."},
                    "category": {"type": "string", "enum": InvoiceItem.Category.values},
                    "service": {"type": "string", "maxLength": 120},
                    "quantity": {"type": "string", "default": "1"},
                    "amount": {**MONEY, "description": "Taxable amount in euro."},
                    "vat_rate": {
                        "type": ["string", "null"],
                        "description": "VAT rate in percent, greater than 0; null when out "
                        "of the scope of VAT (0 is refused).",
                        "example": "22",
                    },
                },
            },
        },
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "field": {"type": "string"},
        "detail": {"type": "string"},
    },
}

USAGE = {
    "type": "object",
    "required": ["records"],
    "properties": {
        "records": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10000,
            "items": {
                "type": "object",
                "required": ["record_id", "number", "started_at", "kind", "quantity"],
                "properties": {
                    "record_id": {"type": "string", "maxLength": 64},
                    "number": {"type": "string", "example": "+393351234567"},
                    "started_at": {"type": "string", "format": "date-time"},
                    "kind": {"type": "string", "enum": UsageKind.values},
                    "roaming": {"type": "boolean", "default": False},
                    "quantity": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Seconds, messages or kilobytes.",
                    },
                    "cost": MONEY,
                },
            },
        }
    },
}

NEW_REQUEST = {
    "type": "object",
    "required": ["customer_code", "kind", "channel", "summary"],
    "properties": {
        "customer_code": {"type": "string", "maxLength": 20, "example": "CB1000001"},
        "kind": {"type": "string", "enum": REQUEST_KINDS},
        "channel": {"type": "string", "enum": [value for value, _label in API_CHANNELS]},
        "summary": {"type": "string", "minLength": 1, "maxLength": 200},
        "line": {"type": "string", "description": "The number of the customer's line."},
        "requester": {"type": "string", "description": "The customer's username, if known."},
        "external_id": {
            "type": "string",
            "maxLength": 64,
            "description": "The channel's own identifier: sent again, returns the same request.",
        },
        "details": {"type": "object"},
    },
}

TRANSITION = {
    "type": "object",
    "required": ["state"],
    "properties": {
        "state": {"type": "string", "enum": REQUEST_STATES},
        "note": {"type": "string", "maxLength": 1000, "description": "Shown to the customer."},
        "details": {
            "type": "object",
            "description": "Data the completion needs (a SIM change: new_iccid, new_puk). "
            "It adds to the request's details and never changes a value already there (422).",
        },
    },
}

REQUEST = {
    "type": "object",
    "properties": {
        "reference": {"type": "string", "example": "RCX7K2M9PQ"},
        "customer_code": {"type": "string"},
        "kind": {"type": "string", "enum": REQUEST_KINDS},
        "channel": {"type": "string", "enum": Channel.values},
        "state": {"type": "string", "enum": REQUEST_STATES},
        "summary": {"type": "string"},
        "line": {"type": ["string", "null"]},
        "requester": {"type": ["string", "null"]},
        "external_id": {"type": ["string", "null"]},
        "details": {"type": "object"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "allowed_states": {"type": "array", "items": {"type": "string", "enum": REQUEST_STATES}},
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "from": {"type": ["string", "null"], "enum": [*REQUEST_STATES, None]},
                    "to": {"type": "string", "enum": REQUEST_STATES},
                    "at": {"type": "string", "format": "date-time"},
                    "note": {"type": "string"},
                    "customer_reply": {
                        "type": "boolean",
                        "description": "The customer's answer to a request that waited for "
                        "them (WAITING_CUSTOMER → IN_PROGRESS): `note` is their message.",
                    },
                    "attachments": {
                        "type": "array",
                        "description": "Files the customer sent with this answer.",
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "content_type": {"type": "string"},
                                "size": {"type": "integer"},
                                "sha256": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


ERRORS = {
    "400": {"description": "Invalid payload, and why", "content": _json("Error")},
    "401": {"description": "No valid token", "content": _json("Error")},
    "403": {
        "description": "The token's scopes do not include this endpoint (or, opening a "
        "request, its channel)",
        "content": _json("Error"),
    },
    "413": {"description": "The body is too large", "content": _json("Error")},
    "429": {"description": "Too many requests from this address", "content": _json("Error")},
    "503": {
        "description": "The service is briefly unavailable: retry after Retry-After seconds",
        "content": _json("Error"),
    },
}
REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 16},
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Area Clienti Business API",
        "version": "1.0.0",
        "description": "For the operator's other systems (billing, shops, agents). Each "
        f"token has scopes ({', '.join(ApiScope.values)}), the channels it opens and moves "
        "requests for, and the customers it acts for: another customer's request, line or "
        "invoice is absent to it. Two-factor sign-in concerns people in the browser: a "
        "client system signs every call with its token and is never asked for a second "
        "factor.",
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Invoice": INVOICE,
            "Usage": USAGE,
            "NewRequest": NEW_REQUEST,
            "Transition": TRANSITION,
            "Request": REQUEST,
            "Error": ERROR,
        },
    },
    "security": [{"token": []}],
    "paths": {
        "/requests/": {
            "post": {
                "summary": "Open a request made through another channel",
                "requestBody": {"required": True, "content": _json("NewRequest")},
                "responses": {
                    "201": {"description": "Opened", "content": _json("Request")},
                    "200": {
                        "description": "Opened before with this external_id",
                        "content": _json("Request"),
                    },
                    **ERRORS,
                    "409": {
                        "description": "The external_id names another request of the channel",
                        "content": _json("Error"),
                    },
                },
            }
        },
        "/requests/{reference}/": {
            "get": {
                "summary": "A request with its history",
                "parameters": [REFERENCE],
                "responses": {
                    "200": {"description": "The request", "content": _json("Request")},
                    "401": ERRORS["401"],
                    "403": ERRORS["403"],
                    "404": {
                        "description": "No such request among the token's customers",
                        "content": _json("Error"),
                    },
                },
            }
        },
        "/requests/{reference}/transitions/": {
            "post": {
                "summary": "Move a request to another state",
                "parameters": [REFERENCE],
                "requestBody": {"required": True, "content": _json("Transition")},
                "responses": {
                    "200": {"description": "Moved", "content": _json("Request")},
                    **ERRORS,
                    "403": {
                        "description": "The token's scopes do not include this endpoint, or "
                        "the request is of a channel the token does not serve",
                        "content": _json("Error"),
                    },
                    "404": {
                        "description": "No such request among the token's customers",
                        "content": _json("Error"),
                    },
                    "409": {
                        "description": "Not allowed from the current state",
                        "content": _json("Error"),
                    },
                    "422": {
                        "description": "The completion lacks data it needs or cannot apply "
                        "it, or details would change a value the request already has (field: "
                        "details.<key>); nothing moved",
                        "content": _json("Error"),
                    },
                },
            }
        },
        "/usage/": {
            "post": {
                "summary": "Load usage records (a record sent twice counts once)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Usage"}}
                    },
                },
                "responses": {
                    "200": {"description": "Every record loaded or already there"},
                    "207": {"description": "Some records refused: see errors"},
                    **ERRORS,
                },
            }
        },
        "/invoices/": {
            "post": {
                "summary": "Load an invoice (idempotent on its number)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Invoice"}}
                    },
                },
                "responses": {
                    "201": {"description": "Created"},
                    "200": {"description": "Already there: unchanged, or a corrected revision"},
                    **ERRORS,
                },
            }
        },
    },
}
