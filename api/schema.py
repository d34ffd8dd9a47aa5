"""The OpenAPI description of /api/v1/, served at /api/v1/openapi.json. Its enums are the
models' choices, so the schema says what the API accepts whenever a choice is added."""

from typing import Any

from accounts.models import Sim
from api.models import API_CHANNELS, ApiScope
from billing.models import InvoiceItem, PaymentMethod
from consumption.models import UsageKind
from lines.models import MAX_ORDER_QUANTITY, DonorOperator, PortInState
from tracking.models import Carrier, Channel, RequestKind, RequestState, ShipmentState
from tracking.shipments import TRACKING_NUMBER_PATTERN

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

ADDRESS = {
    "recipient": {"type": "string", "maxLength": 200},
    "street": {"type": "string", "maxLength": 200},
    "postal_code": {"type": "string", "pattern": r"^\d{5}$", "example": "00184"},
    "city": {"type": "string", "maxLength": 100, "example": "Roma"},
    "province": {"type": "string", "pattern": "^[A-Z]{2}$", "example": "RM"},
}
PHONE = {"type": "string", "example": "+393471112233"}

NEW_ORDER = {
    "type": "object",
    "required": ["customer_code", "channel", "contract", "plan", "sim_kind", "sims"],
    "description": "New SIMs for a customer, a request of kind EXPANSION. Errors name the "
    "field by its path in the body, such as sims[1].port_in.iccid (0-based).",
    "properties": {
        "customer_code": {"type": "string", "maxLength": 20},
        "channel": NEW_REQUEST["properties"]["channel"],  # type: ignore[index]
        "external_id": NEW_REQUEST["properties"]["external_id"],  # type: ignore[index]
        "requester": {"type": "string", "description": "The customer's username, if known."},
        "contract": {"type": "string", "description": "The number of a mobile contract."},
        "plan": {"type": "string", "description": "The code of a plan for the customer."},
        "sim_kind": {"type": "string", "enum": Sim.Kind.values},
        "sims": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ORDER_QUANTITY,
            "items": {
                "type": "object",
                "properties": {
                    "assignee": {
                        "type": ["string", "null"],
                        "description": "The username of an active person of the customer.",
                    },
                    "port_in": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["number", "donor", "iccid", "holder_tax_code"],
                                "properties": {
                                    "number": {
                                        **PHONE,
                                        "description": "The number to keep; not already a "
                                        "line of ours.",
                                    },
                                    "donor": {"type": "string", "enum": DonorOperator.values},
                                    "iccid": {
                                        "type": "string",
                                        "description": "The current SIM's (Luhn-checked).",
                                    },
                                    "holder_tax_code": {
                                        "type": "string",
                                        "description": "Codice fiscale of the number's holder "
                                        "(a person's, or a company's 11 digits).",
                                    },
                                },
                            },
                        ]
                    },
                },
            },
        },
        "delivery": {
            "type": ["object", "null"],
            "description": "Physical SIMs only: where the courier brings them.",
            "required": [*ADDRESS, "contact_phone"],
            "properties": {**ADDRESS, "contact_phone": PHONE},
        },
        "esim_email": {
            "type": "string",
            "format": "email",
            "description": "eSIMs only: where they are sent.",
        },
    },
}

HISTORY_STEP = {
    "type": "object",
    "properties": {
        "from": {"type": ["string", "null"]},
        "to": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "note": {"type": "string"},
    },
}

ORDER = {
    "type": ["object", "null"],
    "description": "An EXPANSION request's order; null for other kinds.",
    "properties": {
        "contract": {"type": "string"},
        "plan": {"type": "string"},
        "plan_name": {"type": "string"},
        "sim_kind": {"type": "string", "enum": Sim.Kind.values},
        "quantity": {"type": "integer"},
        "delivery": {"type": ["object", "null"]},
        "esim_email": {"type": ["string", "null"]},
        "sims": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "position": {"type": "integer", "minimum": 1},
                    "assignee": {"type": ["string", "null"]},
                    "number": {
                        "type": ["string", "null"],
                        "description": "The line's number, once the order is completed.",
                    },
                    "port_in": {
                        "type": ["object", "null"],
                        "properties": {
                            "number": {"type": "string"},
                            "donor": {"type": "string", "enum": DonorOperator.values},
                            "state": {"type": "string", "enum": PortInState.values},
                            "allowed_states": {
                                "type": "array",
                                "items": {"type": "string", "enum": PortInState.values},
                            },
                            "cutover_date": {"type": ["string", "null"], "format": "date"},
                            "refusal_reason": {"type": ["string", "null"]},
                            "history": {"type": "array", "items": HISTORY_STEP},
                        },
                    },
                },
            },
        },
    },
}

SHIPMENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "state": {"type": "string", "enum": ShipmentState.values},
        "allowed_states": {
            "type": "array",
            "items": {"type": "string", "enum": ShipmentState.values},
        },
        "carrier": {"type": ["string", "null"], "enum": [*Carrier.values, None]},
        "tracking_number": {"type": ["string", "null"]},
        "address": {"type": "object", "properties": ADDRESS},
        "history": {"type": "array", "items": HISTORY_STEP},
    },
}

SHIPMENT_TRANSITION = {
    "type": "object",
    "required": ["state"],
    "properties": {
        "state": {"type": "string", "enum": ShipmentState.values},
        "carrier": {
            "type": "string",
            "enum": Carrier.values,
            "description": "Needed to ship (SHIPPED).",
        },
        "tracking_number": {
            "type": "string",
            "pattern": TRACKING_NUMBER_PATTERN,
            "description": "The carrier's number; needed to ship (SHIPPED).",
        },
        "note": {"type": "string", "maxLength": 1000},
    },
}

PORT_IN_TRANSITION = {
    "type": "object",
    "required": ["state"],
    "properties": {
        "state": {"type": "string", "enum": PortInState.values},
        "cutover_date": {**DATE, "description": "Needed to schedule (SCHEDULED)."},
        "reason": {
            "type": "string",
            "maxLength": 300,
            "description": "Needed to refuse (REFUSED); the customer reads it.",
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
        "allowed_states": {
            "type": "array",
            "items": {"type": "string", "enum": REQUEST_STATES},
            "description": "Where the token may move it: none while the customer's approvers "
            "decide (AWAITING_APPROVAL) or once it is closed.",
        },
        "order": ORDER,
        "shipments": {
            "type": "array",
            "items": SHIPMENT,
            "description": "Physical SIMs on their way: one is made when the request is taken "
            "(IN_PROGRESS), a new one after a return.",
        },
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
MOVES = {
    **ERRORS,
    "403": {
        "description": "The token's scopes do not include this endpoint, or the request is of "
        "a channel the token does not serve (the customer's own, WEB, are the back office's)",
        "content": _json("Error"),
    },
    "409": {
        "description": "Not allowed from the current state: allowed_states says where it may go",
        "content": _json("Error"),
    },
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
            "NewOrder": NEW_ORDER,
            "ShipmentTransition": SHIPMENT_TRANSITION,
            "PortInTransition": PORT_IN_TRANSITION,
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
                    "200": {
                        "description": "Moved; or a completion sent again to a request already "
                        "COMPLETED whose details say nothing new (a retry: nothing happens twice)",
                        "content": _json("Request"),
                    },
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
                        "description": "Not allowed from the current state (none while the "
                        "customer's approvers decide: AWAITING_APPROVAL)",
                        "content": _json("Error"),
                    },
                    "422": {
                        "description": "The completion lacks data it needs or cannot apply "
                        "it, or details would change a value the request already has (field: "
                        "details.<key>); nothing moved. An order's completion may send "
                        "details.sims: [{position, iccid, puk, number}] (iccid and puk for "
                        "each SIM sent; number optional, else the operator's numbering); "
                        "the field names a bad one as details.sims[i].<key>",
                        "content": _json("Error"),
                    },
                },
            }
        },
        "/orders/": {
            "post": {
                "summary": "Order new SIMs for a customer (an EXPANSION request with its order)",
                "requestBody": {"required": True, "content": _json("NewOrder")},
                "responses": {
                    "201": {"description": "Ordered", "content": _json("Request")},
                    "200": {
                        "description": "Ordered before with this external_id",
                        "content": _json("Request"),
                    },
                    **ERRORS,
                    "400": {
                        "description": "Invalid payload: errors maps each wrong field's path "
                        "(sims[1].port_in.iccid) to why",
                        "content": _json("Error"),
                    },
                    "409": {
                        "description": "The external_id names another request of the channel",
                        "content": _json("Error"),
                    },
                    "422": {
                        "description": "Refused by the order's rules (a number to port that "
                        "is already a line of ours, the same number twice)",
                        "content": _json("Error"),
                    },
                },
            }
        },
        "/requests/{reference}/shipments/{shipment_id}/transitions/": {
            "post": {
                "summary": "Move a shipment: SHIPPED (carrier, tracking_number), then "
                "DELIVERED or RETURNED",
                "parameters": [
                    REFERENCE,
                    {
                        "name": "shipment_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                ],
                "requestBody": {"required": True, "content": _json("ShipmentTransition")},
                "responses": {
                    "200": {"description": "Moved", "content": _json("Request")},
                    **MOVES,
                    "404": {
                        "description": "No such request among the token's customers, or no "
                        "such shipment of it",
                        "content": _json("Error"),
                    },
                    "422": {
                        "description": "Shipping without carrier or tracking number, or what "
                        "the delivery completes cannot be applied; nothing moved",
                        "content": _json("Error"),
                    },
                },
            }
        },
        "/requests/{reference}/sims/{position}/port-in/transitions/": {
            "post": {
                "summary": "Move the portability of an ordered SIM's number: ACCEPTED, "
                "SCHEDULED (cutover_date), DONE or REFUSED (reason)",
                "parameters": [
                    REFERENCE,
                    {
                        "name": "position",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                ],
                "requestBody": {"required": True, "content": _json("PortInTransition")},
                "responses": {
                    "200": {"description": "Moved", "content": _json("Request")},
                    **MOVES,
                    "404": {
                        "description": "No such request among the token's customers, or no "
                        "SIM of its order at this position that brings a number",
                        "content": _json("Error"),
                    },
                    "422": {
                        "description": "A schedule without cutover_date or a refusal without "
                        "reason; nothing moved",
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
