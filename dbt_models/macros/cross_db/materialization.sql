{% macro fact_materialization() %}
    {#-
        How the fact staging models (order lines, sessions, tickets, absences, production runs)
        are kept: incremental on DuckDB (delete+insert of the keys of new files). dbt-spark
        refuses delete+insert, and insert_overwrite replaces partitions, not keys; until the
        facts are partitioned by their local day on Spark they are rebuilt whole each run there.
    -#}
    {{ return(adapter.dispatch('fact_materialization', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__fact_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__fact_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
