"""The OpenAPI 3.1 description of the JSON API, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from mappings.fields import SORTS
from search_app.query import ADVANCED_FIELDS, FACET_PARAMS

__all__ = ["openapi_document"]


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


def _search_parameters() -> list[dict[str, Any]]:
    params = [
        _param(
            "q",
            "Words, or a whole ISBN / ISSN / DOI (exact match first).",
            {"type": "string", "maxLength": 500},
        ),
        *[
            _param(name, f"Advanced search: {name}.", {"type": "string"})
            for name in ADVANCED_FIELDS
        ],
        *[
            _param(
                f"f.{name}",
                f"Facet filter on {name}; repeatable, values ORed.",
                {"type": "array", "items": {"type": "string"}},
                style="form",
                explode=True,
            )
            for name in FACET_PARAMS
        ],
        _param("year_from", "Earliest publication year (inclusive).", {"type": "integer"}),
        _param("year_to", "Latest publication year (inclusive).", {"type": "integer"}),
        _param(
            "online",
            "1: only full text the patron's library can open now.",
            {"type": "integer", "enum": [0, 1]},
        ),
        _param("sort", "Result order.", {"type": "string", "enum": list(SORTS)}),
        _param("page", "1-based page.", {"type": "integer", "minimum": 1}),
        _param("per_page", "Results per page.", {"type": "integer", "minimum": 1, "maximum": 100}),
    ]
    return [*params, _LIB_PARAM]


_LIB_PARAM = _param(
    "lib",
    "Member library code (default: from the client's IP range); "
    "drives availability and online-first ordering.",
    {"type": "string"},
)

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "field"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"], "description": "parameter at fault"},
            },
        }
    },
}
_AVAILABILITY = {
    "type": "object",
    "properties": {
        "best": {"type": "string", "enum": ["online", "shelf", "request", "none"]},
        "online": {"type": "array", "items": {"type": "object"}},
        "shelf": {"type": "array", "items": {"type": "object"}},
        "lenders": {"type": "array", "items": {"type": "string"}},
    },
}
_RECORD = {
    "type": "object",
    "description": "The display payload (see indexer/backends/base.py).",
    "properties": {
        name: {}
        for name in (
            "id",
            "title",
            "title_vernacular",
            "authors",
            "year",
            "format",
            "language",
            "publisher",
            "isbn",
            "issn",
            "doi",
            "oclc",
            "subjects",
            "sources",
            "holdings",
            "links",
            "records",
        )
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def _ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def openapi_document(server: str) -> dict[str, Any]:
    search_schema = {
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
            "library": {"type": ["object", "null"]},
            "results": {
                "type": "array",
                "items": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Record"},
                        {
                            "type": "object",
                            "properties": {
                                "availability": {"$ref": "#/components/schemas/Availability"},
                                "_links": {"type": "object"},
                            },
                        },
                    ]
                },
            },
            "facets": {
                "type": "object",
                "additionalProperties": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}},
                    },
                },
            },
        },
    }
    record_schema = {
        "type": "object",
        "properties": {
            "record": {"$ref": "#/components/schemas/Record"},
            "availability": {"$ref": "#/components/schemas/Availability"},
            "library": {"type": ["object", "null"]},
            "exports": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "efirst discovery API",
            "version": "1.0.0",
            "description": "E-first search over the consortium's union catalogue.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/api/v1/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search records, with facets",
                    "parameters": _search_parameters(),
                    "responses": {**_ok(search_schema), **_errors(400, 503)},
                }
            },
            "/api/v1/records/{id}": {
                "get": {
                    "operationId": "getRecord",
                    "summary": "One de-duplicated record",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        _LIB_PARAM,
                    ],
                    "responses": {**_ok(record_schema), **_errors(400, 404, 503)},
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": _ok({"type": "object"}),
                }
            },
        },
        "components": {
            "schemas": {"Error": _ERROR, "Availability": _AVAILABILITY, "Record": _RECORD}
        },
    }
