-- The period spine: every day, ISO week (Monday to Sunday) and calendar month that overlaps the
-- calendar of int_calendar_days. period_end is the last day of the period (inclusive).

with

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

grains as (

    select grains.grain from (values ('day'), ('week'), ('month')) as grains (grain)

),

period_starts as (

    select distinct
        grains.grain,
        {{ period_start('grains.grain', 'calendar.date_day') }} as period_start
    from calendar
    cross join grains

),

final as (

    select
        grain,
        period_start,
        {{ period_end('grain', 'period_start') }} as period_end,
        cast(
            {{ dbt.datediff('period_start', period_end('grain', 'period_start'), 'day') }} + 1
            as integer
        ) as days_in_period,
        {{ period_end('grain', 'period_start') }} < {{ as_of_date() }} as is_complete_period
    from period_starts

)

select * from final
