{% macro as_of_date() %}
    {#-
        The date that counts as today, as a SQL date literal. It comes from the dbt var
        `kpi_as_of` (default: env var KPI_AS_OF); empty means today in Europe/Copenhagen,
        evaluated once when the project is compiled so that every model of a run agrees.
    -#}
    {%- set configured = (var('kpi_as_of', '') or '') | string | trim -%}
    {%- if configured == '' -%}
        {%- set configured = modules.datetime.datetime.now(
            modules.pytz.timezone('Europe/Copenhagen')
        ).date().isoformat() -%}
    {%- elif not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', configured) -%}
        {{ exceptions.raise_compiler_error(
            "KPI_AS_OF / var kpi_as_of must be an ISO date (YYYY-MM-DD), got '" ~ configured ~ "'"
        ) }}
    {%- endif -%}
    cast('{{ configured }}' as date)
{%- endmacro %}


{% macro computed_at() %}
    {#-
        When the numbers were computed, as a SQL instant literal (type_instant()): the start of this dbt run,
        or the dbt var `kpi_computed_at` (an ISO timestamp with offset) to pin it, so that a
        rebuild of the same files can give identical tables (freshness runs to it on an as-of
        date of today).
    -#}
    {%- set pinned = (var('kpi_computed_at', '') or '') | string | trim -%}
    cast('{{ pinned or run_started_at }}' as {{ type_instant() }})
{%- endmacro %}
