-- The total rows of every KPI and grain have no gap, reach the period of the as-of date, and
-- start with the KPI's first event: that event lies in the first period of the KPI's finest
-- grain, so each coarser grain starts at the latest in the period holding that period's last day.

with

totals as (

    select
        kpi_id,
        grain,
        case grain when 'day' then 1 when 'week' then 2 else 3 end as fineness,
        min(period_start) as first_period_start,
        min(period_end) as first_period_end,
        max(period_start) as last_period_start,
        max(period_end) as last_period_end,
        count(*) as total_rows
    from {{ ref('kpi_values') }}
    where dimension_name = 'total'
    group by kpi_id, grain

),

finest as (

    select
        kpi_id,
        first_period_end as finest_first_period_end
    from (
        select
            kpi_id,
            first_period_end,
            row_number() over (partition by kpi_id order by fineness) as fineness_rank
        from totals
    ) as ranked
    where fineness_rank = 1

),

expected as (

    select
        totals.kpi_id,
        totals.grain,
        totals.total_rows,
        totals.first_period_start,
        totals.last_period_end,
        {{ period_start('totals.grain', 'finest.finest_first_period_end') }} as latest_first_period_start,
        count(periods.period_start) as expected_rows
    from totals
    inner join finest
        on totals.kpi_id = finest.kpi_id
    inner join {{ ref('int_periods') }} as periods
        on totals.grain = periods.grain
        and periods.period_start between totals.first_period_start and totals.last_period_start
    group by
        totals.kpi_id,
        totals.grain,
        totals.total_rows,
        totals.first_period_start,
        totals.last_period_end,
        finest.finest_first_period_end

)

select *
from expected
where total_rows <> expected_rows
    or last_period_end < {{ as_of_date() }}
    or first_period_start > latest_first_period_start
