{% macro fact_incremental_strategy() %}
    {#-
        How an incremental run of a fact staging model (order lines, sessions, tickets, absences,
        production runs) stores its rows, which are the latest versions of the keys it read: they
        replace the stored rows of those keys. DuckDB: delete+insert on the unique key. Spark,
        which refuses delete+insert: insert_overwrite of the partitions those keys touch
        (fact_partition_by; this project's get_insert_overwrite_sql rewrites each touched
        partition whole, see replace_keys_by_partition.sql).
    -#}
    {{ return(adapter.dispatch('fact_incremental_strategy', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__fact_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__fact_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{% macro fact_partition_by(column) %}
    {#-
        The partition column of a fact staging model's table: none on DuckDB (one file); on Spark
        the column the incremental runs overwrite by: a local day (started_on, created_on,
        absence_date, shift_date) or, for order lines, which have no day of their own, _file_id.
        It must be a function of the row's own latest version, so that the partition of a key
        changes only when a newer version of that key arrives.
    -#}
    {{ return(adapter.dispatch('fact_partition_by', 'kpi_platform')(column)) }}
{%- endmacro %}

{% macro default__fact_partition_by(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__fact_partition_by(column) -%}
    {{ return([column]) }}
{%- endmacro %}


{% macro materialized_cte() %}
    {#-
        Written between `name as` and the CTE's body: DuckDB computes the CTE once and keeps it
        (MATERIALIZED). For a mart's rebuilt months, which every placed event, median and period
        is checked against: inlined, each check computed the months' checksums again
        (fct_cs_kpis rebuilding one month at scale 10: 12 s -> 9 s). Spark has no such clause.
    -#}
    {{ return(adapter.dispatch('materialized_cte', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}


{% macro inlined_cte() %}
    {#-
        Written between `name as` and the CTE's body: DuckDB reads the CTE again at each
        reference (NOT MATERIALIZED) instead of keeping its rows for the query, as DuckDB 2 does
        by default for a CTE read more than once. For the marts' import CTEs (`select * from` a
        model, read by several KPIs), production's runs, the day rows (kpi_event_days) and the
        events with a measure (read again by the medians): a column scan, or a second
        aggregation, costs less than the kept rows, which at scale 100 spilled tens of GB to
        disk or held the memory an aggregation needed to spill (customer service's tickets,
        12 million rows, made it run out of its 2 GB). Spark has no such clause.
    -#}
    {{ return(adapter.dispatch('inlined_cte', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__inlined_cte() -%}
    not materialized
{%- endmacro %}

{% macro spark__inlined_cte() -%}
{%- endmacro %}
