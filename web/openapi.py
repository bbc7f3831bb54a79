"""OpenAPI 3.0 description of /api (served at /api/openapi.json, checked by schemathesis)."""

from __future__ import annotations

from typing import Any

from kb.search_options import FILTERS

STRING_LIST = {"type": "array", "items": {"type": "string"}}
FILTER_PARAMS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "integer" if name == "year" else "string"}, "maxItems": 20},
        "description": f"Filter on {name.replace('_', ' ')}; repeat for alternatives (at most 20).",
    }
    for name in FILTERS
]


def _int(name: str, low: int, high: int, default: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": low, "maximum": high, "default": default},
    }


Q = {
    "name": "q",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "Query, French or English",
}
ID = {"name": "sheet_id", "in": "path", "required": True, "schema": {"type": "string"}}
ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

SPEAKER = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "role": {"type": "string"}, "organisation": {"type": "string"}},
    "required": ["name"],
}
SUMMARY_PROPS: dict[str, Any] = {
    "id": {"type": "string"},
    "title": {"type": "string"},
    "organisations": STRING_LIST,
    "speakers": {"type": "array", "items": SPEAKER},
    "region": {"type": "string", "nullable": True},
    "territory": {"type": "string", "nullable": True},
    "event": {"type": "string", "nullable": True},
    "workshop": {"type": "string", "nullable": True},
    "date": {"type": "string", "nullable": True},
    "themes": STRING_LIST,
    "publics": STRING_LIST,
    "market_types": STRING_LIST,
    "actor_types": STRING_LIST,
    "source": {"type": "string", "nullable": True},
}
SECTIONS = {"type": "object", "additionalProperties": {"type": "string"}}


def _ok(schema: str) -> dict[str, Any]:
    return {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        },
        "400": ERROR,
    }


def spec(server: str = "") -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Recueil API",
            "version": "1.0.0",
            "description": "Good practices of the social clause: search, sheets, similar sheets, facets.",
        },
        "servers": [{"url": server or "/"}],
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Hybrid search (one search budget per client with facets and similar: 429 past it)",
                    "parameters": [Q, _int("limit", 1, 100, 10), _int("offset", 0, 1_000_000, 0), *FILTER_PARAMS],
                    "responses": {**_ok("SearchResults"), "429": ERROR},
                }
            },
            "/api/practices": {
                "get": {
                    "summary": "Published sheets, by title",
                    "parameters": [_int("limit", 1, 500, 50), _int("offset", 0, 1_000_000, 0), *FILTER_PARAMS],
                    "responses": _ok("PracticeList"),
                }
            },
            "/api/practices/{sheet_id}": {
                "get": {"summary": "One sheet", "parameters": [ID], "responses": {**_ok("Practice"), "404": ERROR}}
            },
            "/api/practices/{sheet_id}/similar": {
                "get": {
                    "summary": "Nearest sheets (counts in the client's search budget: 429 past it)",
                    "parameters": [ID, _int("limit", 1, 50, 5)],
                    "responses": {**_ok("SimilarList"), "404": ERROR, "429": ERROR, "503": ERROR},  # 503: no model
                }
            },
            "/api/facets": {
                "get": {
                    "summary": "Facet counts for a query and filters (a query counts in the search budget: 429)",
                    "parameters": [Q, *FILTER_PARAMS],
                    "responses": {**_ok("Facets"), "429": ERROR},
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "message"],
                            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                        }
                    },
                },
                "Hit": {
                    "type": "object",
                    "required": ["id", "title", "score", "section", "snippet", "organisations", "region"],
                    "properties": {
                        **SUMMARY_PROPS,
                        "score": {"type": "number"},
                        "match": {
                            "type": "string",
                            "enum": ["strong", "weak"],
                            "nullable": True,
                            "description": "strong: the sheet answers the query (calibrated probability above the "
                            "threshold); weak: other sheets that may interest; null when browsing without a query. "
                            "Strong hits always come first.",
                        },
                        "probability": {
                            "type": "number",
                            "nullable": True,
                            "description": "calibrated probability that the sheet answers the query",
                        },
                        "reasons": {
                            "type": "array",
                            "description": "why the sheet matched: words in common, a glossary term, a tag, or "
                            "close by meaning alone",
                            "items": {
                                "type": "object",
                                "required": ["kind", "text"],
                                "properties": {
                                    "kind": {"type": "string", "enum": ["words", "glossary", "tag", "meaning"]},
                                    "text": {"type": "string"},
                                },
                            },
                        },
                        "section": {"type": "string", "nullable": True},
                        "section_label": {"type": "string", "nullable": True},
                        "snippet": {"type": "string"},
                        "snippet_html": {"type": "string"},
                        "matched_terms": STRING_LIST,
                        "year": {"type": "integer", "nullable": True},
                    },
                },
                "FilterSuggestion": {
                    "type": "object",
                    "required": ["name", "value", "label", "count"],
                    "properties": {
                        "name": {"type": "string", "description": "filter parameter (theme, public…)"},
                        "value": {"type": "string"},
                        "label": {"type": "string"},
                        "count": {"type": "integer", "description": "published sheets carrying it"},
                    },
                },
                "SearchResults": {
                    "type": "object",
                    "required": ["query", "total", "hits"],
                    "properties": {
                        "query": {"type": "string"},
                        "language": {"type": "string"},
                        "mode": {
                            "type": "string",
                            "enum": ["hybrid", "keyword"],
                            "description": "keyword when the embedding model could not be loaded",
                        },
                        "total": {"type": "integer", "description": "every listed hit, strong and weak"},
                        "strong": {
                            "type": "integer",
                            "nullable": True,
                            "description": "how many hits match strongly (null when browsing without a query)",
                        },
                        "suggestion": {
                            "type": "string",
                            "nullable": True,
                            "description": "the query spelt with the corpus's words, when that differs",
                        },
                        "corrected_from": {
                            "type": "string",
                            "nullable": True,
                            "description": "the query as typed, when the results are for the suggestion (it had "
                            "no strong match)",
                        },
                        "filter_suggestions": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/FilterSuggestion"},
                        },
                        "closest_themes": {
                            "type": "array",
                            "description": "themes with sheets nearest to the query, when nothing matches strongly",
                            "items": {"$ref": "#/components/schemas/FilterSuggestion"},
                        },
                        "filters": {"type": "object"},
                        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    },
                },
                "Practice": {
                    "type": "object",
                    "required": ["id", "title", "sections"],
                    "properties": {**SUMMARY_PROPS, "sections": SECTIONS},
                },
                "PracticeList": {
                    "type": "object",
                    "required": ["total", "practices"],
                    "properties": {
                        "total": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "offset": {"type": "integer"},
                        "practices": {"type": "array", "items": {"type": "object", "properties": SUMMARY_PROPS}},
                    },
                },
                "SimilarList": {
                    "type": "object",
                    "required": ["similar"],
                    "properties": {
                        "similar": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "title", "score"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "title": {"type": "string"},
                                    "score": {"type": "number"},
                                },
                            },
                        }
                    },
                },
                "Facets": {
                    "type": "object",
                    "required": ["total", "facets"],
                    "properties": {
                        "total": {"type": "integer"},
                        "facets": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "label": {"type": "string"},
                                    "values": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "value": {"type": "string"},
                                                "label": {"type": "string"},
                                                "count": {"type": "integer"},
                                                "selected": {"type": "boolean"},
                                            },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            }
        },
    }
