{#-
    The annotated KPI values (int_kpi_values_annotated) are incremental like the marts (issue 12,
    "a daily run costs what is new"), with the marts' strategy (kpi_periods): a run computes again
    the rows of the periods that overlap a rebuilt month and keeps the rest.

    A month is rebuilt when the checksum of what its rows are computed from changed: the
    kpi_values rows, their targets and the definition breaks dated in it (a period counts in the
    month it starts), the catalog entries of every KPI and the code of the model (both added to
    every month, so a change of either rebuilds everything). A row compares with the previous
    period and the same period a year earlier, so a changed month also rebuilds the next month
    and the months 12 and 13 later (a week's counterpart is 52 or 53 weeks earlier and can start
    in the month before). The month of the as-of date is rebuilt on every run: it always has
    rows, which carry the list of rebuilt months to the strategy.

    The run's own columns (the inputs' freshness and data quality, the computation time, the
    as-of date) are not stored here: kpi_scorecard joins them per KPI, so that a run does not
    rewrite every row to change them.
-#}


{% macro kpi_annotation_rebuild_months(input_checksums) %}
    {#- The months this run computes again, a row each (month_start, month_end); one row spanning
        every date for a full build. -#}
    {%- if kpi_mart_is_incremental() %}
    {#- DuckDB only (on Spark the model is a table, built whole). -#}
    with

    stored_months as (

        select
            cast(date_trunc('month', period_start) as date) as month_start,
            max(inputs_checksum) as checksum
        from {{ this }}
        group by cast(date_trunc('month', period_start) as date)

    ),

    changed_months as (

        select coalesce(current_months.month_start, stored_months.month_start) as month_start
        from {{ input_checksums }} as current_months
        full outer join stored_months
            on current_months.month_start = stored_months.month_start
        where current_months.checksum is distinct from stored_months.checksum

    ),

    months as (

        -- A changed month and the months whose rows compare with its rows.
        select cast(changed_months.month_start + to_months(offsets.months) as date) as month_start
        from changed_months
        cross join (values (0), (1), (12), (13)) as offsets (months)

        union

        select cast(date_trunc('month', {{ as_of_date() }}) as date)

    )

    select
        month_start,
        last_day(month_start) as month_end
    from months
    {%- else %}
    select
        {{ kpi_earliest_date() }} as month_start,
        {{ kpi_latest_date() }} as month_end
    {%- endif %}
{%- endmacro %}


{% macro kpi_annotation_compared_months(rebuild) %}
    {#- The months whose rows the rebuilt rows compare with: each rebuilt month, the month before
        (previous period) and the months 12 and 13 before (same period last year). -#}
    select distinct
        cast({{ dbt.dateadd('month', '-offsets.months', 'rebuild_months.month_start') }} as date)
            as month_start,
        last_day(
            cast({{ dbt.dateadd('month', '-offsets.months', 'rebuild_months.month_start') }} as date)
        ) as month_end
    from {{ rebuild }} as rebuild_months
    cross join (values (0), (1), (12), (13)) as offsets (months)
    where rebuild_months.month_start > {{ kpi_earliest_date() }}

    union all

    select
        month_start,
        month_end
    from {{ rebuild }}
    where month_start = {{ kpi_earliest_date() }}
{%- endmacro %}


{% macro kpi_code_version() %}
    {#- What this model's SQL is, for its checksums: the model file, and KPI_CODE_VERSION, which
        the Dagster steps set to a hash of the dbt project (dagster_project/up_to_date.py), so
        that a changed macro rebuilds too. A plain `dbt build` outside Dagster sees only the
        model file: after changing a macro it reads, build with --full-refresh. -#}
    {%- set model_sql = model.raw_code if model is defined and model else '' -%}
    {{ return(local_md5(model_sql ~ env_var('KPI_CODE_VERSION', ''))) }}
{%- endmacro %}


{% macro kpi_scorecard_materialization() %}
    {{ return(adapter.dispatch('kpi_scorecard_materialization', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__kpi_scorecard_materialization() -%}
    {#- A view over the stored annotated values and the per-KPI run columns (kpi_scorecard.sql). -#}
    {{ return('view') }}
{%- endmacro %}

{% macro spark__kpi_scorecard_materialization() -%}
    {#- A table: the warehouse reads Spark's tables as views over their Parquet files. -#}
    {{ return('table') }}
{%- endmacro %}


{% macro kpi_annotation_input_checksums(inputs) %}
    {#- The checksum of the annotated values' inputs per month (inputs_checksum): as a mart's
        (kpi_input_checksums: every row of every input CTE in the month of its date column), with
        every KPI's catalog entry and the model's code (kpi_code_version) added to every month.
        Its own macro, not kpi_input_checksums with options: the marts' definition versions hash
        the SQL of the macros they call, and a change there would break every KPI's series. -#}
    select
        input_rows.month_start,
        {{ kpi_checksum_sum('input_rows.checksum') }} + max(versions.checksum) as checksum
    from (
        {% for relation, date_column in inputs.items() -%}
        select
            cast({{ dbt.date_trunc('month', relation ~ '.' ~ date_column) }} as date) as month_start,
            {{ kpi_row_checksum(relation) }} as checksum
        from {{ relation }}
        where {{ relation }}.{{ date_column }} is not null
        {%- if not loop.last %}

        union all
        {% endif -%}
    {%- endfor %}
    ) as input_rows
    cross join (
        select {{ kpi_checksum_sum(kpi_row_checksum('catalog_kpis')) }} as checksum
        from (
            select
                *,
                '{{ kpi_code_version() }}' as code_version
            from {{ ref('stg_catalog__kpis') }}
        ) as catalog_kpis
    ) as versions
    group by input_rows.month_start
{%- endmacro %}
