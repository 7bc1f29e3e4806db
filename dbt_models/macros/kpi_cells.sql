{#-
    Shared machinery of the KPI marts. A mart states, per KPI, the rows its definition counts
    ("events": one row per order line, ticket, run, ...) with what each row contributes to the
    numerator, the denominator or the median, and the dimension values it belongs to. The macros
    then place the rows in their day, week and month, aggregate them per period and dimension
    value, and complete the rows the catalog asks for:

        events --kpi_event_days--> day rows --explode_to_periods--> period events
        events with a measure (medians) ----------------------------------+
                                                                          v
                                   period events --aggregate_kpi_cells--> cells
               day rows --kpi_event_months--> per KPI and month: first and last event, checksum
                        --kpi_bounds--> first and last event per KPI
        cells + bounds + catalog --finalize_kpi_cells--> published rows

    Period-level rows that no single event produces (a day's headcount, the customers of the
    previous month) are written directly as period events with kpi_period_event().
-#}


{% macro kpi_exact(expression) %}
    {#-
        What an event adds to a sum, as an exact decimal: contract decimals are DECIMAL(38, 10)
        and a sum of them stays exact, so a rebuild gives the same number to the last digit
        (a sum of doubles depends on the order DuckDB's threads add them in). The published
        value, numerator and denominator are doubles again, rounded once from the exact sum.
    -#}
    cast({{ expression }} as decimal(38, 10))
{%- endmacro %}


{% macro kpi_dimension_columns(dimensions) %}
    {#-
        The breakdowns an event counts in, as three name/value column pairs. `dimensions` maps a
        dimension name to a SQL expression, e.g. {'region': 'orders.region'}. A null value
        counts in no row of that breakdown (the row still counts in the total).
    -#}
    {%- set dimensions = dimensions or {} -%}
    {%- if dimensions | length > 3 -%}
        {{ exceptions.raise_compiler_error(
            "a KPI event has at most 3 dimensions, got " ~ dimensions | list
        ) }}
    {%- endif -%}
    {%- set pairs = dimensions | list -%}
    {%- for slot in range(3) -%}
        {%- if slot < pairs | length %}
    case when ({{ dimensions[pairs[slot]] }}) is not null then '{{ pairs[slot] }}' end
        as dimension_{{ slot + 1 }}_name,
    cast({{ dimensions[pairs[slot]] }} as {{ type_text() }}) as dimension_{{ slot + 1 }}_value
        {%- else %}
    cast(null as {{ type_text() }}) as dimension_{{ slot + 1 }}_name,
    cast(null as {{ type_text() }}) as dimension_{{ slot + 1 }}_value
        {%- endif -%}
        {{- ',' if not loop.last }}
    {%- endfor -%}
{% endmacro %}


{% macro kpi_event(
    kpi_id,
    event_on,
    dimensions=none,
    numerator='null',
    denominator='null',
    measure='null',
    is_population='true',
    is_bounding='true',
    people='null'
) %}
    {#-
        The select list of one event row.
        event_on: local date that places the row in its day, week and month.
        dimensions: {dimension name: SQL expression of its value}, at most three.
        numerator / denominator: what the row adds to them (sums); measure: its value for a median.
        is_population: the row belongs to the population that decides which breakdown rows exist
        (the denominator's rows for a ratio, the counted rows otherwise).
        is_bounding: the row's date counts for the KPI's first and last event (the spine).
        people: what the row adds to the people count of HR privacy suppression (exact, as
        doubles two builds' counts differed in the last bit).
    -#}
    cast('{{ kpi_id }}' as {{ type_text() }}) as kpi_id,
    cast({{ event_on }} as date) as event_on,
    cast({{ is_bounding }} as boolean) as is_bounding,
    {{ kpi_dimension_columns(dimensions) }},
    {{ kpi_exact(numerator) }} as numerator,
    {{ kpi_exact(denominator) }} as denominator,
    cast({{ measure }} as double) as measure,
    cast({{ is_population }} as boolean) as is_population,
    {{ kpi_exact(people) }} as people
{%- endmacro %}


{% macro kpi_period_event(
    kpi_id,
    grain,
    period_start,
    dimensions=none,
    numerator='null',
    denominator='null',
    measure='null',
    is_population='true',
    is_bounding='false',
    event_on='null',
    people='null'
) %}
    {#- The select list of a row already placed in a period (same columns as explode_to_periods). -#}
    cast('{{ kpi_id }}' as {{ type_text() }}) as kpi_id,
    cast({{ grain }} as {{ type_text() }}) as grain,
    cast({{ period_start }} as date) as period_start,
    cast({{ event_on }} as date) as event_on,
    cast({{ is_bounding }} as boolean) as is_bounding,
    {{ kpi_dimension_columns(dimensions) }},
    {{ kpi_exact(numerator) }} as numerator,
    {{ kpi_exact(denominator) }} as denominator,
    cast({{ measure }} as double) as measure,
    cast({{ is_population }} as boolean) as is_population,
    {{ kpi_exact(people) }} as people,
    cast(1 as bigint) as event_count
{%- endmacro %}


{% macro kpi_union_all(relations) -%}
    {#- Every row of the relations (CTE names, same columns), as one relation's body. -#}
    {% for relation in relations -%}
        select * from {{ relation }}
        {%- if not loop.last %} union all {% endif %}
    {%- endfor %}
{%- endmacro %}


{% macro kpi_event_days(events) %}
    {#-
        The event rows of `events` (CTE names, rows not yet placed in periods) summed per KPI,
        day, dimension values and flags: event_count says how many rows a day row stands for,
        checksum is the sum of their hashes (kpi_event_months). Everything after this reads the
        day rows, not the events. The mart declares its day rows inlined_cte(): read for the
        month checksums and for the periods, they are computed twice rather than kept for the
        query (kept, the events of customer service, about 100 million rows at scale 100, spilled
        more than 40 GB to disk; production's day rows, 17 million, ran out of memory). A
        median's measures are not carried: aggregate_kpi_cells reads them from the mart's events
        that have one.
    -#}
    select
        input_events.kpi_id,
        input_events.event_on,
        input_events.is_bounding,
        input_events.dimension_1_name,
        input_events.dimension_1_value,
        input_events.dimension_2_name,
        input_events.dimension_2_value,
        input_events.dimension_3_name,
        input_events.dimension_3_value,
        input_events.is_population,
        sum(input_events.numerator) as numerator,
        sum(input_events.denominator) as denominator,
        cast(null as double) as measure,
        sum(input_events.people) as people,
        count(*) as event_count,
        {{ kpi_row_hash_sum('input_events') }} as checksum
    from ({{ kpi_union_all(events) }}) as input_events
    -- A row without a date places nothing in a period and counts in no month's checksum.
    where input_events.event_on is not null
    group by
        input_events.kpi_id,
        input_events.event_on,
        input_events.is_bounding,
        input_events.dimension_1_name,
        input_events.dimension_1_value,
        input_events.dimension_2_name,
        input_events.dimension_2_value,
        input_events.dimension_3_name,
        input_events.dimension_3_value,
        input_events.is_population
{%- endmacro %}


{% macro explode_to_periods(event_days, rebuild=none) %}
    {#-
        Each day row of kpi_event_days once per grain of its KPI (catalog grains), in the day,
        ISO week or month holding its day: a mart aggregates thousands of day rows rather than
        millions of order lines.
        rebuild: the mart's kpi_rebuild_months; only the days its rebuilt periods read.
    -#}
    select
        event_days.kpi_id,
        kpi_grains.grain,
        {{ period_start('kpi_grains.grain', 'event_days.event_on') }} as period_start,
        event_days.event_on,
        event_days.is_bounding,
        event_days.dimension_1_name,
        event_days.dimension_1_value,
        event_days.dimension_2_name,
        event_days.dimension_2_value,
        event_days.dimension_3_name,
        event_days.dimension_3_value,
        event_days.numerator,
        event_days.denominator,
        event_days.measure,
        event_days.is_population,
        event_days.people,
        event_days.event_count
    from {{ event_days }} as event_days
    inner join {{ kpi_grains() }} as kpi_grains
        on event_days.kpi_id = kpi_grains.kpi_id
    where {{ kpi_is_rebuilt('event_days.event_on', rebuild) }}
{%- endmacro %}


{% macro kpi_grains() %}
    {#- Each KPI with each grain of the catalog, a row each (a subquery). -#}
    (select kpi_id, {{ unnest_list('grains') }} as grain from {{ ref('stg_catalog__kpis') }})
{%- endmacro %}


{% macro kpi_event_months(event_days) %}
    {#- Per KPI and month of `event_days` (CTE names of kpi_event_days): the first and last date
        of its bounding rows and the checksum of all its event rows, for kpi_bounds and
        kpi_input_checksums. -#}
    {%- set month_start = "cast(" ~ dbt.date_trunc('month', 'days.event_on') ~ " as date)" %}
    select
        days.kpi_id,
        {{ month_start }} as month_start,
        min(case when days.is_bounding then days.event_on end) as first_event_on,
        max(case when days.is_bounding then days.event_on end) as last_event_on,
        {{ kpi_checksum('sum(days.checksum)', 'sum(days.event_count)') }} as checksum
    from ({{ kpi_union_all(event_days) }}) as days
    group by days.kpi_id, {{ month_start }}
{%- endmacro %}


{% macro kpi_bounds(event_months) %}
    {#- First and last event date of each KPI: its rows run from the period of the first to the
        period of the later of the last and the as-of date. From kpi_event_months. -#}
    select
        kpi_id,
        min(first_event_on) as first_event_on,
        max(last_event_on) as last_event_on
    from {{ event_months }}
    group by kpi_id
    having min(first_event_on) is not null
{%- endmacro %}


{% macro aggregate_kpi_cells(period_events, measure_events, rebuild=none) %}
    {#- One cell per KPI, grain, period and dimension value (the total included): sums of the
        contributions from the period events, the median of the measures of `measure_events`
        (CTE names: the mart's events that have a measure; [] when it has no median) and how
        many rows were counted.
        The medians are taken apart, from the events that have a measure, and joined to the
        sums: a median holds every value of its group in memory and cannot spill to disk, and in
        one aggregate with the sums of millions of day cells it made the whole aggregate run out
        of DuckDB's memory limit at scale 100 (fct_production_kpis, 2 GB). -#}
    select
        sums.kpi_id,
        sums.grain,
        sums.period_start,
        sums.dimension_name,
        sums.dimension_value,
        sums.numerator,
        sums.denominator,
        {{ 'medians.median_value' if measure_events else 'cast(null as double)' }} as median_value,
        {{ 'coalesce(medians.measure_count, 0)' if measure_events else 'cast(0 as bigint)' }}
            as measure_count,
        sums.population_count,
        sums.people_count,
        cast(null as {{ type_text() }}) as null_reason
    from ({{ kpi_cell_sums(period_events) }}) as sums
    {%- if measure_events %}
    left join ({{ kpi_cell_medians(measure_events, rebuild) }}) as medians
        on sums.kpi_id = medians.kpi_id
        and sums.grain = medians.grain
        and sums.period_start = medians.period_start
        and sums.dimension_name = medians.dimension_name
        and sums.dimension_value = medians.dimension_value
    {%- endif %}
{%- endmacro %}


{% macro kpi_cell_sums(period_events) %}
    {#- The sums and counts of every cell (aggregate_kpi_cells). -#}
    {% for slot in ['total', 1, 2, 3] -%}
        select
            kpi_id,
            grain,
            period_start,
            {{ kpi_cell_dimension(slot) }},
            sum(numerator) as numerator,
            sum(denominator) as denominator,
            coalesce(sum(case when is_population then event_count end), 0) as population_count,
            sum(people) as people_count
        from {{ period_events }}
        {%- if slot != 'total' %}
        where dimension_{{ slot }}_value is not null
        {%- endif %}
        group by 1, 2, 3, 4, 5
        {%- if not loop.last %}

        union all
        {% endif -%}
    {%- endfor %}
{%- endmacro %}


{% macro kpi_cell_medians(measure_events, rebuild=none) %}
    {#- The median and the count of the measures of every cell that has one, from the events
        (one row per event; CTE names) placed in each grain's period (aggregate_kpi_cells).
        The mart reads these events more than once (here per breakdown, and in
        kpi_event_days), so it declares them inlined_cte(): kept for the query instead, they held the memory the medians need, and
        a median holds every value of its cell in memory. -#}
    {% for slot in ['total', 1, 2, 3] -%}
        select
            events.kpi_id,
            kpi_grains.grain,
            {{ period_start('kpi_grains.grain', 'events.event_on') }} as period_start,
            {{ kpi_cell_dimension(slot, 'events.') }},
            median(events.measure) as median_value,
            count(events.measure) as measure_count
        from ({{ kpi_union_all(measure_events) }}) as events
        inner join {{ kpi_grains() }} as kpi_grains
            on events.kpi_id = kpi_grains.kpi_id
        where events.measure is not null
            and events.event_on is not null
            and {{ kpi_is_rebuilt('events.event_on', rebuild) }}
        {%- if slot != 'total' %}
            and events.dimension_{{ slot }}_value is not null
        {%- endif %}
        group by 1, 2, 3, 4, 5
        {%- if not loop.last %}

        union all
        {% endif -%}
    {%- endfor %}
{%- endmacro %}


{% macro kpi_cell_dimension(slot, qualifier='') %}
    {#- A cell's dimension name and value: the total, or dimension slot 1, 2 or 3 of the rows. -#}
    {%- if slot == 'total' -%}
        'total' as dimension_name,
        'total' as dimension_value
    {%- else -%}
        {{ qualifier }}dimension_{{ slot }}_name as dimension_name,
        {{ qualifier }}dimension_{{ slot }}_value as dimension_value
    {%- endif -%}
{%- endmacro %}


{% macro finalize_kpi_cells(cells, bounds, function_name, rebuild=none) %}
    {#-
        The published rows of the catalog KPIs of `function_name`, by what the catalog says of
        each (stg_catalog__kpis): aggregation sum (counts and sums), ratio (ratios and means) or
        median; empty_reason, why the value is null when its input is empty; provisional_days,
        provisional while period_end + that many days is after the as-of date; sample_kind,
        what sample_size counts (population | measure | none).

        The total row exists for every grain the catalog lists and every period from the one
        holding the first event to the one holding the as-of date, or a later loaded event up
        to the day after the as-of date (the contract's allowance); a
        breakdown row exists for each dimension the catalog lists and each value that occurs in
        the period's population. With `rebuild` (kpi_rebuild_months) only the periods that overlap
        a rebuilt month.
    -#}
    with

    specs as (

        select
            kpi_id,
            aggregation,
            empty_reason,
            provisional_days,
            sample_kind
        from {{ ref('stg_catalog__kpis') }}
        where function_name = '{{ function_name }}'

    ),

    catalog_grains as (

        select
            kpi_id,
            {{ unnest_list('grains') }} as grain,
            dimensions as catalog_dimensions
        from {{ ref('stg_catalog__kpis') }}

    ),

    spine as (

        select
            specs.kpi_id,
            specs.aggregation,
            specs.empty_reason,
            specs.provisional_days,
            specs.sample_kind,
            catalog_grains.grain,
            catalog_grains.catalog_dimensions,
            periods.period_start,
            periods.period_end,
            periods.is_complete_period
        from specs
        inner join {{ bounds }} as bounds
            on specs.kpi_id = bounds.kpi_id
        inner join catalog_grains
            on specs.kpi_id = catalog_grains.kpi_id
        inner join {{ ref('int_periods') }} as periods
            on catalog_grains.grain = periods.grain
            and periods.period_end >= bounds.first_event_on
            and periods.period_start <= least(
                greatest({{ as_of_date() }}, bounds.last_event_on),
                cast({{ dbt.dateadd('day', 1, as_of_date()) }} as date)
            )
            and {{ kpi_period_is_rebuilt('periods.period_start', 'periods.period_end', rebuild) }}

    ),

    spine_cells as (

        select
            spine.*,
            'total' as dimension_name,
            'total' as dimension_value,
            cells.numerator as cell_numerator,
            cells.denominator as cell_denominator,
            cells.median_value as cell_median_value,
            cells.measure_count as cell_measure_count,
            cells.population_count as cell_population_count,
            cells.people_count as cell_people_count,
            cells.null_reason as cell_null_reason
        from spine
        left join {{ cells }} as cells
            on spine.kpi_id = cells.kpi_id
            and spine.grain = cells.grain
            and spine.period_start = cells.period_start
            and cells.dimension_name = 'total'

        union all

        select
            spine.*,
            cells.dimension_name,
            cells.dimension_value,
            cells.numerator as cell_numerator,
            cells.denominator as cell_denominator,
            cells.median_value as cell_median_value,
            cells.measure_count as cell_measure_count,
            cells.population_count as cell_population_count,
            cells.people_count as cell_people_count,
            cells.null_reason as cell_null_reason
        from spine
        inner join {{ cells }} as cells
            on spine.kpi_id = cells.kpi_id
            and spine.grain = cells.grain
            and spine.period_start = cells.period_start
        where cells.dimension_name <> 'total'
            and cells.population_count > 0
            and {{ list_has('spine.catalog_dimensions', 'cells.dimension_name') }}

    ),

    computed as (

        select
            *,
            case aggregation
                when 'sum' then coalesce(cell_numerator, 0)
                when 'ratio' then
                    case
                        when cell_null_reason is not null then cell_numerator
                        else coalesce(cell_numerator, 0)
                    end
            end as numerator,
            case aggregation
                when 'ratio' then coalesce(cell_denominator, 0)
            end as denominator
        from spine_cells

    ),

    valued as (

        select
            *,
            case aggregation
                when 'sum' then numerator
                when 'ratio' then
                    case
                        when cell_null_reason is null and numerator is not null
                            then {{ safe_divide('numerator', 'denominator') }}
                    end
                when 'median' then cell_median_value
            end as value
        from computed

    )

    select
        kpi_id,
        grain,
        period_start,
        period_end,
        dimension_name,
        dimension_value,
        cast(value as double) as value,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(
            case sample_kind
                when 'population' then coalesce(cell_population_count, 0)
                when 'measure' then coalesce(cell_measure_count, 0)
            end as bigint
        ) as sample_size,
        is_complete_period,
        coalesce(
            {{ dbt.dateadd('day', 'provisional_days', 'period_end') }} > {{ as_of_date() }},
            false
        ) as is_provisional,
        case
            when value is null then coalesce(cell_null_reason, empty_reason, 'no data in period')
        end as null_reason,
        cast(coalesce(cell_people_count, 0) as double) as people_count
    from valued
{%- endmacro %}


{% macro kpi_published_columns(relation=none) %}
    {#-
        The columns every KPI mart hands to kpi_values, in order. people_count (HR privacy) is
        there only for the publish step's leak guard; the publish step never publishes it.
    -#}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ prefix }}kpi_id,
    {{ prefix }}grain,
    {{ prefix }}period_start,
    {{ prefix }}period_end,
    {{ prefix }}dimension_name,
    {{ prefix }}dimension_value,
    {{ prefix }}value,
    {{ prefix }}numerator,
    {{ prefix }}denominator,
    {{ prefix }}sample_size,
    {{ prefix }}is_complete_period,
    {{ prefix }}is_provisional,
    {{ prefix }}null_reason,
    {{ prefix }}people_count
{%- endmacro %}
