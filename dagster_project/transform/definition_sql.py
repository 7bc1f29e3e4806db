"""The SQL that computes one KPI, for its definition version (kpis.md, definition drift).

A mart computes several KPIs, one or a few CTEs each, then runs all of them through shared
CTEs (the union of events, the cells, the catalog's completion). A KPI's SQL is:

- in each model that names the KPI (its mart): the CTEs that name it (and the KPIs those name,
  as OEE names its three parts), every CTE they read (the import CTEs and helpers), and the CTEs
  its rows flow through to the model's final select, with what those read; never a CTE of
  another KPI;
- every model those CTEs read (`ref`), with its own lineage, except that the period spine's
  inputs are not followed: it reads every staging model for the span of dates only;
- the project's macros that SQL calls, with the macros they call;

each with comments and whitespace removed, so that a comment or a re-indent changes no version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Their SQL counts, but not their inputs: the calendar reads every source for its date span only.
SPINE_MODELS = ("int_periods", "int_calendar_days")
PROJECT_MACRO_PREFIX = "macro.kpi_platform."

_COMMENTS = re.compile(r"\{#.*?#\}|/\*.*?\*/|--[^\n]*", re.DOTALL)
# `name as (`, or `name as {{ hint() }} (` (a macro that says how the engine keeps the CTE).
_CTE_START = re.compile(r"([a-z_][a-z0-9_]*)\s+as\s*(?:\{\{[^}]*\}\}\s*)?\(", re.IGNORECASE)
_REF = re.compile(r"ref\(\s*['\"]([a-z0-9_]+)['\"]\s*\)")


def without_comments(sql: str) -> str:
    """SQL and Jinja comments removed, whitespace collapsed."""
    return " ".join(_COMMENTS.sub(" ", sql).split())


def split_ctes(sql: str) -> tuple[dict[str, str], str]:
    """The top-level CTEs of a model (name → body, in order) and the rest (the final select).

    Expects the project's layout, `with` then `name as ( ... ),` at depth 0 (or `name as {{ hint() }}
    ( ... ),`, a clause on how the engine keeps the CTE); a model without CTEs is all rest.
    """
    text = without_comments(sql)
    start = re.search(r"\bwith\b", text, re.IGNORECASE)
    if not start:
        return {}, text
    ctes: dict[str, str] = {}
    position = start.end()
    while match := _CTE_START.match(text, _skip(text, position)):
        depth, index = 1, match.end()
        while depth and index < len(text):
            depth += {"(": 1, ")": -1}.get(text[index], 0)
            index += 1
        ctes[match.group(1).lower()] = text[match.end() : index - 1].strip()
        position = _skip(text, index)
        if text[position : position + 1] != ",":
            break
        position += 1
    return ctes, text[: start.start()] + " " + text[position:]


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _names_in(body: str, names: Iterable[str]) -> set[str]:
    return {name for name in names if re.search(rf"\b{name}\b", body)}


def kpi_ctes(ctes: Mapping[str, str], rest: str, kpi_id: str, all_kpi_ids: Iterable[str]) -> list[str]:
    """The CTE names of one KPI in a model, in model order (see the module's docstring).

    The KPI's own CTEs name it; the KPIs they name too are part of its definition (OEE is built
    from its availability, performance and quality cells). A CTE that names any other KPI is
    that KPI's, and neither entered nor followed; the CTEs that name none (imports, the shared
    pipeline) are followed both ways.
    """
    all_kpi_ids = list(all_kpi_ids)

    def named(body: str) -> set[str]:
        return {other for other in all_kpi_ids if f"'{other}'" in body or f'"{other}"' in body}

    names = {name: named(body) for name, body in ctes.items()}
    related = set().union(*(ids for ids in names.values() if kpi_id in ids)) | {kpi_id}
    relevant = {name for name, ids in names.items() if ids & related}
    foreign = {name for name, ids in names.items() if ids - related}
    reads = {name: _names_in(body, ctes) - {name} for name, body in ctes.items()}

    def upstream(start: set[str]) -> set[str]:
        found, frontier = set(start), set(start)
        while frontier:
            frontier = set().union(*(reads[name] for name in frontier)) - found - foreign
            found |= frontier
        return found

    down, frontier = set(), set(relevant)
    while frontier:
        frontier = {name for name in ctes if reads[name] & frontier} - relevant - down - foreign
        down |= frontier
    chosen = upstream(relevant) | upstream(down)
    return [name for name in ctes if name in chosen]


def kpi_sql_text(kpi_id: str, manifest: Mapping, all_kpi_ids: Iterable[str]) -> str:
    """The SQL that computes `kpi_id`, comments removed; empty when no model names it."""
    all_kpi_ids = list(all_kpi_ids)
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    quoted = (f"'{kpi_id}'", f'"{kpi_id}"')
    parts: list[str] = []
    read: set[str] = set()
    for name in sorted(models):
        raw = models[name]["raw_code"]
        if not any(q in raw for q in quoted):
            continue
        ctes, rest = split_ctes(raw)
        chosen = kpi_ctes(ctes, rest, kpi_id, all_kpi_ids)
        body = " ".join(f"{cte} as ({ctes[cte]})" for cte in chosen) + " " + rest
        parts.append(f"-- {name}: {body}")
        read |= set(_REF.findall(body))
    macro_text = _macro_texts(" ".join(parts), manifest)
    read |= set(_REF.findall(macro_text))
    parts += [f"-- {name}: {without_comments(models[name]['raw_code'])}" for name in _lineage(read, models)]
    return "\n".join([*parts, macro_text])


def _lineage(names: set[str], models: Mapping[str, Mapping]) -> list[str]:
    """The models read and every model they read in turn (the spine's inputs not followed)."""
    found: set[str] = set()
    frontier = {name for name in names if name in models}
    while frontier:
        found |= frontier
        frontier = {
            parent.split(".")[-1]
            for name in frontier
            if name not in SPINE_MODELS
            for parent in models[name]["depends_on"]["nodes"]
            if parent.startswith("model.")
        } - found
    return sorted(found)


def _macro_texts(sql: str, manifest: Mapping) -> str:
    """The project's macros `sql` calls, and those they call, comments removed, by name.

    A dispatched macro (`x` calling adapter.dispatch('x')) counts with every engine's
    implementation (`default__x`, `spark__x`): dbt records only the current engine's as called,
    and a KPI's version must not depend on the engine that computed it.
    """
    macros = {uid: macro for uid, macro in manifest["macros"].items() if uid.startswith(PROJECT_MACRO_PREFIX)}
    by_name = {macro["name"]: uid for uid, macro in macros.items()}
    implementations: dict[str, set[str]] = {}
    for uid, macro in macros.items():
        _, separator, dispatched = macro["name"].partition("__")
        if separator and dispatched in by_name:
            implementations.setdefault(by_name[dispatched], set()).add(uid)
    found = {by_name[name] for name in by_name if re.search(rf"\b{name}\s*\(", sql)}
    frontier = set(found)
    while frontier:
        frontier = {
            parent
            for uid in frontier
            for parent in [*macros[uid]["depends_on"]["macros"], *implementations.get(uid, ())]
            if parent in macros
        } - found
        found |= frontier
    return "\n".join(f"-- {uid}: {without_comments(macros[uid]['macro_sql'])}" for uid in sorted(found))
