-- The total rows of every KPI and grain have no gap and reach the period of the as-of date.

with

totals as (

    select
        kpi_id,
        grain,
        min(period_start) as first_period_start,
        max(period_start) as last_period_start,
        max(period_end) as last_period_end,
        count(*) as total_rows
    from {{ ref('kpi_values') }}
    where dimension_name = 'total'
    group by kpi_id, grain

),

expected as (

    select
        totals.kpi_id,
        totals.grain,
        totals.total_rows,
        totals.last_period_end,
        count(periods.period_start) as expected_rows
    from totals
    inner join {{ ref('int_periods') }} as periods
        on totals.grain = periods.grain
        and periods.period_start between totals.first_period_start and totals.last_period_start
    group by totals.kpi_id, totals.grain, totals.total_rows, totals.last_period_end

)

select *
from expected
where total_rows <> expected_rows
    or last_period_end < {{ as_of_date() }}
