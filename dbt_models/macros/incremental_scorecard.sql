{#-
    The annotated KPI values (int_kpi_values_annotated) are incremental like the marts (issue 12,
    "a daily run costs what is new"), per KPI and month (strategy kpi_annotations): a run computes
    again a KPI's rows of the periods that overlap one of its rebuilt months and keeps the rest.
    Per KPI, because one day's data can touch the history of some KPIs (a late order re-attributes
    a customer's old orders) while the largest (production's, by day and product) change in the
    current month only.

    A KPI's month is rebuilt when the checksum of what its rows there are computed from changed:
    its kpi_values rows (without their as-of date), targets and definition breaks dated in it (a
    period counts in the month it starts). A row compares with the previous period and the same
    period a year earlier, so a changed month also rebuilds the KPI's next month and its months 12
    and 13 later (a week's counterpart is 52 or 53 weeks earlier and can start in the month
    before). Every KPI's as-of month is rebuilt on every run: every KPI has rows there (the marts
    run their totals through the as-of period), which carry its rebuilt months to the strategy.
    The catalog and the model's code (scorecard_version) rebuild everything when they change, and
    so does a removed KPI (a catalog change).

    The run's own columns (the inputs' freshness and data quality, the computation time, the
    as-of date) are not stored here: kpi_scorecard joins them per KPI, so that a run does not
    rewrite every row to change them.
-#}


{% macro get_incremental_kpi_annotations_sql(arg_dict) %}
    {#- The annotated values' incremental strategy (DuckDB): every stored row of a KPI whose period
        overlaps one of the KPI's rebuilt months (rebuilt_months, on the KPI's new rows) is
        replaced by the rows computed now; a full build (kpi_earliest_date) replaces every row. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {#- Every new row of a KPI carries the same list: unnest one per KPI, not one per row. -#}
    {%- set kpi_months -%}
        (
            select
                kpi_id,
                unnest(rebuilt_months) as month_start
            from (
                select
                    kpi_id,
                    any_value(rebuilt_months) as rebuilt_months
                from {{ source }}
                group by kpi_id
            ) as kpi_lists
        )
    {%- endset %}
    delete from {{ target }}
    where exists (
        select 1
        from {{ kpi_months }} as full_build
        where full_build.month_start = {{ kpi_earliest_date() }}
    )
        or {{ kpi_annotation_is_rebuilt(
            target ~ '.kpi_id', target ~ '.period_start', target ~ '.period_end', kpi_months
        ) }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}


{% macro kpi_annotation_input_checksums(inputs) %}
    {#- The checksum of the annotated values' inputs per KPI and month (inputs_checksum): every row
        of every input CTE (with a kpi_id) in the month of its date column. Its own macro rather
        than an option of the marts' kpi_input_checksums: the marts' definition versions hash the
        SQL of the macros they call, and a change there would break every KPI's series. -#}
    select
        input_rows.kpi_id,
        input_rows.month_start,
        {{ kpi_checksum_sum('input_rows.checksum') }} as checksum
    from (
        {% for relation, date_column in inputs.items() -%}
        select
            {{ relation }}.kpi_id,
            cast({{ dbt.date_trunc('month', relation ~ '.' ~ date_column) }} as date) as month_start,
            {{ kpi_row_checksum(relation) }} as checksum
        from {{ relation }}
        where {{ relation }}.{{ date_column }} is not null
        {%- if not loop.last %}

        union all
        {% endif -%}
    {%- endfor %}
    ) as input_rows
    group by input_rows.kpi_id, input_rows.month_start
{%- endmacro %}


{% macro kpi_scorecard_version() %}
    {#- One checksum of every KPI's catalog entry and the model's code (kpi_code_version): stored
        on every row (scorecard_version); a change rebuilds every row. -#}
    {#- max(): one row on every engine (on Spark the checksum is a constant null, no aggregate). -#}
    select max(versions.checksum) as checksum
    from (
        select {{ kpi_checksum_sum(kpi_row_checksum('catalog_kpis')) }} as checksum
        from (
            select
                *,
                '{{ kpi_code_version() }}' as code_version
            from {{ ref('stg_catalog__kpis') }}
        ) as catalog_kpis
    ) as versions
{%- endmacro %}


{% macro kpi_annotation_rebuild_months(input_checksums, version) %}
    {#- The KPIs' months this run computes again, a row each (kpi_id, month_start, month_end); one
        row with kpi_id null spanning every date for a full build. -#}
    {%- if kpi_annotation_is_incremental() %}
    {#- DuckDB only (on Spark the model is a table, built whole). -#}
    with

    stored_months as (

        select
            kpi_id,
            cast(date_trunc('month', period_start) as date) as month_start,
            max(inputs_checksum) as checksum
        from {{ this }}
        group by kpi_id, cast(date_trunc('month', period_start) as date)

    ),

    is_same_version as (

        select coalesce(
            (select max(scorecard_version) from {{ this }}) = (select checksum from {{ version }}),
            false
        ) as same

    ),

    changed_months as (

        select
            coalesce(current_months.kpi_id, stored_months.kpi_id) as kpi_id,
            coalesce(current_months.month_start, stored_months.month_start) as month_start
        from {{ input_checksums }} as current_months
        full outer join stored_months
            on current_months.kpi_id = stored_months.kpi_id
            and current_months.month_start = stored_months.month_start
        where current_months.checksum is distinct from stored_months.checksum

    ),

    months as (

        -- A changed month and the months whose rows compare with its rows.
        select
            changed_months.kpi_id,
            cast(changed_months.month_start + to_months(offsets.months) as date) as month_start
        from changed_months
        cross join (values (0), (1), (12), (13)) as offsets (months)

        union

        select
            kpi_id,
            cast(date_trunc('month', {{ as_of_date() }}) as date)
        from {{ ref('stg_catalog__kpis') }}

    )

    select
        kpi_id,
        month_start,
        last_day(month_start) as month_end
    from months
    where (select same from is_same_version)

    union all

    select
        null,
        {{ kpi_earliest_date() }},
        {{ kpi_latest_date() }}
    where not (select same from is_same_version)
    {%- else %}
    select
        cast(null as {{ type_text() }}) as kpi_id,
        {{ kpi_earliest_date() }} as month_start,
        {{ kpi_latest_date() }} as month_end
    {%- endif %}
{%- endmacro %}


{% macro kpi_annotation_is_incremental() %}
    {#- An incremental run on a table that already stores its checksums and version (one stored
        before they existed is built whole once). -#}
    {{ return(kpi_mart_is_incremental() and 'scorecard_version' in (
        adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list
    )) }}
{%- endmacro %}


{% macro kpi_annotation_compared_months(rebuild) %}
    {#- The KPIs' months whose rows the rebuilt rows compare with: each rebuilt month, the month
        before (previous period) and the months 12 and 13 before (same period last year). -#}
    select distinct
        rebuild_months.kpi_id,
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
        kpi_id,
        month_start,
        month_end
    from {{ rebuild }}
    where month_start = {{ kpi_earliest_date() }}
{%- endmacro %}


{% macro kpi_annotation_is_rebuilt(kpi_id, period_start, period_end, months) %}
    {#- Whether a KPI's period overlaps one of its months in `months` (kpi_id, month_start; a full
        build's row, kpi_id null, holds every KPI). The columns must be qualified: `months` has a
        kpi_id of its own. A period is at most a month long, so it
        overlaps the months of its first and its last day: equality, which the engine hashes
        (an overlap test against every KPI's months compared 22 M rows with thousands). A full
        build of the model reads every row: true. -#}
    {%- if not kpi_annotation_is_incremental() -%}
    true
    {%- else -%}
    (
        exists (
            select 1
            from {{ months }} as kpi_months
            where kpi_months.kpi_id is null
        )
        or exists (
            select 1
            from {{ months }} as kpi_months
            where kpi_months.kpi_id = {{ kpi_id }}
                and kpi_months.month_start = cast({{ dbt.date_trunc('month', period_start) }} as date)
        )
        or exists (
            select 1
            from {{ months }} as kpi_months
            where kpi_months.kpi_id = {{ kpi_id }}
                and kpi_months.month_start = cast({{ dbt.date_trunc('month', period_end) }} as date)
        )
    )
    {%- endif -%}
{%- endmacro %}


{% macro kpi_annotation_rebuilt_months(rebuild) %}
    {#- Per KPI (or kpi_id null: every KPI), the sorted list of the months this run rebuilt. -#}
    select
        kpi_id,
        {{ kpi_sorted_date_list('month_start') }} as rebuilt_months
    from {{ rebuild }}
    group by kpi_id
{%- endmacro %}


{% macro kpi_sorted_date_list(column) %}
    {{ return(adapter.dispatch('kpi_sorted_date_list', 'kpi_platform')(column)) }}
{%- endmacro %}

{% macro default__kpi_sorted_date_list(column) -%}
    list({{ column }} order by {{ column }})
{%- endmacro %}

{% macro spark__kpi_sorted_date_list(column) -%}
    sort_array(collect_list({{ column }}))
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
