{#-
    A daily run rebuilds only the periods of a mart that its inputs changed (issue 12, "a daily
    run costs what is new"). Each KPI mart keeps, on its month rows, a checksum of every input row
    of its function dated in that month (inputs_checksum: the events before they are placed in
    periods, the period events, the special inputs of a mart such as LTV's orders). An
    incremental run computes the checksums again from the current staging tables (cheap: no
    periods, no medians); the months whose checksum differs from the stored one are rebuilt:

        stored month checksums  ─┐
        current month checksums ─┴─► changed months ─► rebuild months ─► every row of a period
                                                        (+ as-of, provisional,    that overlaps one is
                                                         look-ahead months)       deleted and computed again

    The checksums are taken over the joined event rows, so a change that reaches a KPI through a
    foreign key (a customer's segment, a ticket's channel on its survey, a lead that re-attributes
    a customer's orders) moves the checksum of the months it changes without a rule per key. The
    catalog entries of the function's KPIs, with their definition versions, are part of every
    checksum: a changed definition (catalog entry or SQL) rebuilds the whole mart.

    Besides the changed months, a run rebuilds the months that hold the previous and the current
    as-of date and the day after it (the period holding the as-of date is incomplete, rows run
    through it), the months whose provisional flags the move of the as-of date turns (period_end
    + provisional_days between the two dates), and for a mart with a look-back (LTV's 12 months)
    the months after a changed one that look back at it. A week that overlaps a rebuilt month is
    rebuilt whole, from the events of all of its days.

    On Spark the marts are plain tables, rebuilt whole (kpi_mart_materialization); the same SQL
    then rebuilds every month.
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
    {#- The incremental strategy of the KPI marts (DuckDB): every stored row of a period that
        overlaps a month the run rebuilt is replaced by the rows computed now (rows of periods
        that no longer exist go too). The rebuilt months travel on the new rows (rebuilt_months):
        every run rebuilds the month of its as-of date, which always has rows. A rebuild of every
        date (a mart stored before its checksums existed) says so with kpi_earliest_date and
        replaces every stored row. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where exists (
        select 1
        from (select distinct unnest(rebuilt_months) as month_start from {{ source }}) as rebuilt
        where rebuilt.month_start = {{ kpi_earliest_date() }}
            or (
                {{ target }}.period_start <= last_day(rebuilt.month_start)
                and {{ target }}.period_end >= rebuilt.month_start
            )
    );

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


{% macro kpi_row_hash_sum(relation) %}
    {{ return(adapter.dispatch('kpi_row_hash_sum', 'kpi_platform')(relation)) }}
{%- endmacro %}

{% macro default__kpi_row_hash_sum(relation) -%}
    {#- Aggregate: the sum of the rows' hashes (kpi_row_checksum). -#}
    sum({{ kpi_row_checksum(relation) }})
{%- endmacro %}

{% macro spark__kpi_row_hash_sum(relation) -%}
    cast(null as bigint)
{%- endmacro %}


{% macro kpi_checksum(hash_sum, row_count) %}
    {{ return(adapter.dispatch('kpi_checksum', 'kpi_platform')(hash_sum, row_count)) }}
{%- endmacro %}

{% macro default__kpi_checksum(hash_sum, row_count) -%}
    {#- The checksum of a set of rows from the sum of their hashes and their count: the same for
        the same rows in any order; the count keeps sets of different sizes apart whose hashes
        happen to add up alike. -#}
    {{ hash_sum }} + {{ row_count }} * cast('1000000000000000000000000' as hugeint)
{%- endmacro %}

{% macro spark__kpi_checksum(hash_sum, row_count) -%}
    cast(null as bigint)
{%- endmacro %}


{% macro kpi_checksum_sum(column) -%}
    {#- Aggregate: the checksum (kpi_checksum) of the rows whose hashes are `column`. -#}
    {{ kpi_checksum('sum(' ~ column ~ ')', 'count(*)') }}
{%- endmacro %}


{% macro kpi_mart_is_incremental() %}
    {#- An incremental run on a mart that already stores its checksums (a mart built before
        they existed is built whole once; on_schema_change adds the columns). -#}
    {%- if this is none or not is_incremental() -%}
        {#- this is none in a unit test, which builds the model from its given rows -#}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return('inputs_checksum' in stored and 'built_as_of' in stored and 'rebuilt_months' in stored) }}
{%- endmacro %}


{% macro kpi_rebuild_months(input_checksums, bounds, function_name, look_ahead_months=0) %}
    {#-
        The months this run computes again, a row each (see the top of this file): month_start,
        month_end, and events_from / events_to, the Monday and Sunday of the weeks that overlap
        the month (a week overlapping the month is rebuilt from all its days' events). A full
        build (the first, --full-refresh, Spark) is one row spanning every date.
        look_ahead_months: how many months after a changed one read it (LTV: 11).
    -#}
    {%- if kpi_mart_is_incremental() %}
    {#- DuckDB only (the Spark marts are never incremental). -#}
    with

    last_build as (

        -- The as-of date of the last build: it rebuilt the month of its as-of date and the day
        -- after, so the row that ends last is its.
        select arg_max(built_as_of, period_end) as as_of
        from {{ this }}

    ),

    stored_months as (

        select period_start as month_start, max(inputs_checksum) as checksum
        from {{ this }}
        where grain = 'month'
        group by period_start

    ),

    spine as (

        -- The months the current rows run through (finalize_kpi_cells' spine): an input
        -- outside them and outside the stored months places no row.
        select
            date_trunc('month', min(first_event_on)) as first_month,
            date_trunc('month', least(
                greatest({{ as_of_date() }}, max(last_event_on)),
                cast({{ as_of_date() }} + 1 as date)
            )) as last_month
        from {{ bounds }}

    ),

    changed_months as (

        select coalesce(current_months.month_start, stored_months.month_start) as month_start
        from {{ input_checksums }} as current_months
        full outer join stored_months
            on current_months.month_start = stored_months.month_start
        cross join spine
        where current_months.checksum is distinct from stored_months.checksum
            and (
                stored_months.month_start is not null
                or current_months.month_start between spine.first_month and spine.last_month
            )

    ),

    as_of_dates as (

        select
            least(last_build.as_of, {{ as_of_date() }}) as earlier,
            greatest(last_build.as_of, {{ as_of_date() }}) as later,
            coalesce(provisional.days, 0) as provisional_days
        from last_build
        cross join (
            select max(provisional_days) as days
            from {{ ref('stg_catalog__kpis') }}
            where function_name = '{{ function_name }}'
        ) as provisional

    ),

    months as (

        select
            cast(changed_months.month_start + to_months(offsets.months) as date) as month_start
        from changed_months
        cross join range(0, {{ look_ahead_months }} + 1) as offsets (months)
        cross join spine
        where offsets.months = 0
            or changed_months.month_start + to_months(offsets.months) <= spine.last_month

        union

        -- The months from the earlier as-of date to the day after the later one.
        select cast(unnest(generate_series(
            date_trunc('month', coalesce(earlier, {{ as_of_date() }})),
            cast(coalesce(later, {{ as_of_date() }}) + 1 as date),
            interval 1 month
        )) as date)
        from as_of_dates

        union

        -- The months whose rows turn from provisional to final between the two as-of dates.
        select cast(unnest(generate_series(
            date_trunc('month', coalesce(earlier, {{ as_of_date() }}) - to_days(provisional_days)),
            cast(coalesce(later, {{ as_of_date() }}) - to_days(provisional_days) as date),
            interval 1 month
        )) as date)
        from as_of_dates
        where provisional_days > 0

    )

    select
        month_start,
        last_day(month_start) as month_end,
        cast(date_trunc('week', month_start) as date) as events_from,
        cast(date_trunc('week', last_day(month_start)) as date) + 6 as events_to
    from months
    -- A first incremental run on a mart without stored as-of date or checksums rebuilds it all.
    where (select as_of from last_build) is not null

    union all

    select
        {{ kpi_earliest_date() }},
        {{ kpi_latest_date() }},
        {{ kpi_earliest_date() }},
        {{ kpi_latest_date() }}
    where (select as_of from last_build) is null
    {%- else %}
    select
        {{ kpi_earliest_date() }} as month_start,
        {{ kpi_latest_date() }} as month_end,
        {{ kpi_earliest_date() }} as events_from,
        {{ kpi_latest_date() }} as events_to
    {%- endif %}
{%- endmacro %}


{% macro kpi_earliest_date() -%}
    cast('0001-01-01' as date)
{%- endmacro %}


{% macro kpi_latest_date() -%}
    cast('9999-12-31' as date)
{%- endmacro %}


{% macro kpi_is_rebuilt(date_column, rebuild, last='events_to') %}
    {#- Whether a date falls in the days a rebuild reads: `last` events_to for an event's date,
        month_end for a period's start (a period that starts by the end of a rebuilt month and
        ends in or after it overlaps it). Without a rebuild (none), every date. -#}
    {%- if rebuild is none -%}
    true
    {%- else -%}
    exists (
        select 1
        from {{ rebuild }} as rebuild_months
        where {{ date_column }} between rebuild_months.events_from and rebuild_months.{{ last }}
    )
    {%- endif -%}
{%- endmacro %}


{% macro kpi_period_is_rebuilt(period_start, period_end, rebuild) %}
    {#- Whether a period overlaps a rebuilt month; without a rebuild (none), every period. -#}
    {%- if rebuild is none -%}
    true
    {%- else -%}
    exists (
        select 1
        from {{ rebuild }} as rebuild_months
        where {{ period_start }} <= rebuild_months.month_end
            and {{ period_end }} >= rebuild_months.month_start
    )
    {%- endif -%}
{%- endmacro %}


{% macro kpi_mart_rows(final, rebuild, input_checksums) %}
    {#- A mart's rows (kpi_published_columns) with what each stores of its build: the months the
        run rebuilt, its as-of date, and on month rows the month's input checksum. -#}
    select
        {{ kpi_published_columns(final) }},
        {{ kpi_rebuilt_months_list(rebuild) }} as rebuilt_months,
        {{ as_of_date() }} as built_as_of,
        input_checksums.checksum as inputs_checksum
    from {{ final }}
    left join {{ input_checksums }} as input_checksums
        on {{ final }}.grain = 'month'
        and {{ final }}.period_start = input_checksums.month_start
{%- endmacro %}


{% macro kpi_rebuilt_months_list(rebuild) %}
    {{ return(adapter.dispatch('kpi_rebuilt_months_list', 'kpi_platform')(rebuild)) }}
{%- endmacro %}

{% macro default__kpi_rebuilt_months_list(rebuild) -%}
    (select list(month_start order by month_start) from {{ rebuild }})
{%- endmacro %}

{% macro spark__kpi_rebuilt_months_list(rebuild) -%}
    (select sort_array(collect_list(month_start)) from {{ rebuild }})
{%- endmacro %}
