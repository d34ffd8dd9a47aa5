"""The OpenAPI description of /api/v1/, served at /api/v1/openapi.json."""

from typing import Any

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
        "number": {"type": "string", "maxLength": 30, "example": "FT-2026-000123"},
        "company_vat_number": {"type": "string", "pattern": r"^\d{11}$"},
        "contract": {"type": "string", "description": "The contract's number."},
        "personal_line": {
            "type": "string",
            "description": "For a personal invoice: the Dual Billing line's number.",
        },
        "issue_date": DATE,
        "period_start": DATE,
        "period_end": DATE,
        "due_date": DATE,
        "payment_method": {
            "type": "string",
            "enum": ["BANK_TRANSFER", "DIRECT_DEBIT", "CARD", "POSTAL"],
            "default": "BANK_TRANSFER",
        },
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["category", "service", "amount"],
                "properties": {
                    "line": {"type": "string", "description": "The line's number, if any."},
                    "category": {"type": "string", "enum": ["FEE", "TRAFFIC", "ONE_OFF", "TAX"]},
                    "service": {"type": "string", "maxLength": 120},
                    "quantity": {"type": "string", "default": "1"},
                    "amount": {**MONEY, "description": "Taxable amount in euro."},
                    "vat_rate": {
                        "type": ["string", "null"],
                        "description": "VAT rate in percent; null when out of the scope of VAT.",
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
                    "kind": {"type": "string", "enum": ["VOICE", "SMS", "DATA"]},
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

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Area Clienti Business API",
        "version": "1.0.0",
        "description": "For the operator's other systems (billing, shops, agents).",
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Invoice": INVOICE, "Usage": USAGE, "Error": ERROR},
    },
    "security": [{"token": []}],
    "paths": {
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
                    "400": {"description": "Malformed request"},
                    "401": {"description": "No valid token"},
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
                    "400": {
                        "description": "Not loaded, and why",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                    "401": {"description": "No valid token"},
                },
            }
        },
    },
}
