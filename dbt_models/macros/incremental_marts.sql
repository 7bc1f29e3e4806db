{#-
    A daily run rebuilds only the periods of a mart that its inputs changed (issue 12, "a daily
    run costs what is new"). Each KPI mart keeps, on its month rows, a checksum of every input row
    of its function dated in that month (inputs_checksum: the events before they are placed in
    periods, the period events, the special inputs of a mart such as LTV's orders). An
    incremental run computes the checksums again from the current staging tables (cheap: no
    periods, no medians), and the earliest month whose checksum differs from the stored one is
    where the function's rebuild starts (rebuilt_from):

        stored month checksums  ─┐
        current month checksums ─┴─► changed months ─► rebuilt_from (a month start) ─► every row
                                                         with period_end >= rebuilt_from is
                                                         deleted and computed again

    The checksums are taken over the joined event rows, so a change that reaches a KPI through a
    foreign key (a customer's segment, a ticket's channel on its survey, a lead that re-attributes
    a customer's orders) moves the checksum of the months it changes without a rule per key. The
    catalog entries of the function's KPIs, with their definition versions, are part of every
    checksum: a changed definition (catalog entry or SQL) rebuilds the whole mart. The as-of date moves rows too (the period
    holding it, the complete and provisional flags): the rebuild also starts no later than the
    month of the previous and the current as-of date, less the function's longest provisional
    window.

    On Spark the marts are plain tables, rebuilt whole (kpi_mart_materialization); the same SQL
    then starts at the earliest date.
-#}


{% macro kpi_mart_materialization() %}
    {{ return(adapter.dispatch('kpi_mart_materialization', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__kpi_mart_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__kpi_mart_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{% macro get_incremental_kpi_periods_sql(arg_dict) %}
    {#- The incremental strategy of the KPI marts: every stored row from the run's rebuilt_from on
        is replaced by the rows computed now (rows of periods that no longer exist go too). -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where period_end >= (select min(rebuilt_from) from {{ source }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}


{% macro kpi_input_checksums(inputs, function_name) %}
    {#-
        The checksum of a mart's inputs per month (inputs_checksum): `inputs` maps a CTE name to
        its date column (an event's event_on, a period event's period_start, ...); every row of
        every input counts in the month of that date, with all of its columns. Rows without a date
        place nothing in a period and count nowhere. The catalog entries of the function's KPIs,
        their definition versions included, are added to every month.
    -#}
    select
        input_rows.month_start,
        {{ kpi_checksum_sum('input_rows.checksum') }} + max(versions.checksum) as checksum
    from (
        {%- for relation, date_column in inputs.items() %}
        select
            cast({{ dbt.date_trunc('month', relation ~ '.' ~ date_column) }} as date) as month_start,
            {{ kpi_row_checksum(relation) }} as checksum
        from {{ relation }}
        where {{ relation }}.{{ date_column }} is not null
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as input_rows
    cross join (
        select {{ kpi_checksum_sum(kpi_row_checksum('catalog_kpis')) }} as checksum
        from (
            select *
            from {{ ref('stg_catalog__kpis') }}
            where function_name = '{{ function_name }}'
        ) as catalog_kpis
    ) as versions
    group by input_rows.month_start
{%- endmacro %}


{% macro kpi_row_checksum(relation) %}
    {{ return(adapter.dispatch('kpi_row_checksum', 'kpi_platform')(relation)) }}
{%- endmacro %}

{% macro default__kpi_row_checksum(relation) -%}
    {#- DuckDB hashes a whole row (the relation as a struct). -#}
    cast(hash({{ relation }}) as hugeint)
{%- endmacro %}

{% macro spark__kpi_row_checksum(relation) -%}
    {#- Not needed: the Spark marts are rebuilt whole. -#}
    cast(null as bigint)
{%- endmacro %}


{% macro kpi_checksum_sum(column) %}
    {{ return(adapter.dispatch('kpi_checksum_sum', 'kpi_platform')(column)) }}
{%- endmacro %}

{% macro default__kpi_checksum_sum(column) -%}
    {#- The same for the same rows in any order; the count keeps sets of different sizes apart
        whose hashes happen to add up alike. -#}
    sum({{ column }}) + count(*) * cast('1000000000000000000000000' as hugeint)
{%- endmacro %}

{% macro spark__kpi_checksum_sum(column) -%}
    cast(null as bigint)
{%- endmacro %}


{% macro kpi_mart_is_incremental() %}
    {#- An incremental run on a mart that already stores its checksums (a mart built before
        they existed is built whole once; on_schema_change adds the columns). -#}
    {%- if this is none or not is_incremental() -%}
        {#- this is none in a unit test, which builds the model from its given rows -#}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return('inputs_checksum' in stored and 'built_as_of' in stored and 'rebuilt_from' in stored) }}
{%- endmacro %}


{% macro kpi_rebuild_from(input_checksums, bounds, function_name) %}
    {#-
        One row: rebuilt_from, the first day of the earliest month this run computes again (see
        the top of this file), and events_from, the first day of the ISO week holding it (a week
        that ends on or after rebuilt_from needs its events from its Monday). A full build (the
        first, --full-refresh, Spark) starts at the earliest date.
    -#}
    {%- if kpi_mart_is_incremental() %}
    select
        rebuilt_from,
        cast({{ dbt.date_trunc('week', 'rebuilt_from') }} as date) as events_from
    from (
        select
            cast({{ dbt.date_trunc('month', 'least(
                coalesce(changes.first_changed_month, ' ~ as_of_date() ~ '),
                coalesce(cast(' ~ dbt.dateadd('day', '-provisional.days', 'last_build.as_of') ~ ' as date), '
                    ~ kpi_earliest_date() ~ '),
                cast(' ~ dbt.dateadd('day', '-provisional.days', as_of_date()) ~ ' as date)
            )') }} as date) as rebuilt_from
        from (
            select min(coalesce(current_months.month_start, stored_months.month_start)) as first_changed_month
            from {{ input_checksums }} as current_months
            full outer join (
                select period_start as month_start, max(inputs_checksum) as checksum
                from {{ this }}
                where grain = 'month'
                group by period_start
            ) as stored_months
                on current_months.month_start = stored_months.month_start
            cross join (
                -- The months the current rows run through (finalize_kpi_cells' spine): an input
                -- outside them and outside the stored months places no row.
                select
                    cast({{ dbt.date_trunc('month', 'min(first_event_on)') }} as date) as first_month,
                    cast({{ dbt.date_trunc('month', 'least(
                        greatest(' ~ as_of_date() ~ ', max(last_event_on)),
                        cast(' ~ dbt.dateadd('day', 1, as_of_date()) ~ ' as date)
                    )') }} as date) as last_month
                from {{ bounds }}
            ) as spine
            where current_months.checksum is distinct from stored_months.checksum
                and (
                    stored_months.month_start is not null
                    or current_months.month_start between spine.first_month and spine.last_month
                )
        ) as changes
        cross join (
            -- The as-of date of the last build: the rows it wrote are the ones it started at.
            select max(built_as_of) as as_of
            from {{ this }}
            where rebuilt_from = (select max(rebuilt_from) from {{ this }})
        ) as last_build
        cross join (
            select coalesce(max(provisional_days), 0) as days
            from {{ ref('stg_catalog__kpis') }}
            where function_name = '{{ function_name }}'
        ) as provisional
    ) as rebuild
    {%- else %}
    select
        {{ kpi_earliest_date() }} as rebuilt_from,
        {{ kpi_earliest_date() }} as events_from
    {%- endif %}
{%- endmacro %}


{% macro kpi_earliest_date() -%}
    cast('0001-01-01' as date)
{%- endmacro %}


{% macro kpi_mart_rows(final, rebuild, input_checksums) %}
    {#- A mart's rows (kpi_published_columns) with what each stores of its build: the run's
        rebuilt_from and as-of date, and on month rows the month's input checksum. -#}
    select
        {{ kpi_published_columns(final) }},
        rebuild.rebuilt_from,
        {{ as_of_date() }} as built_as_of,
        input_checksums.checksum as inputs_checksum
    from {{ final }}
    cross join {{ rebuild }} as rebuild
    left join {{ input_checksums }} as input_checksums
        on {{ final }}.grain = 'month'
        and {{ final }}.period_start = input_checksums.month_start
{%- endmacro %}
