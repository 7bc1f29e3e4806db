-- Headcount per department and local day. An employee is in headcount on day d when
-- hired_on <= d and (terminated_on is null or terminated_on > d). Built from the changes
-- (+1 on the hire day, -1 on the termination day) so it costs days × departments, not
-- days × employees. Scheduled hours: 7.4 × fte on workdays (Monday to Friday), 0 otherwise.

with

employees as (

    select * from {{ ref('stg_hr__employees') }}

),

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

changes as (

    select
        department,
        hired_on as change_on,
        1 as headcount_change,
        fte as fte_change
    from employees

    union all

    select
        department,
        terminated_on as change_on,
        -1 as headcount_change,
        -fte as fte_change
    from employees
    where terminated_on is not null

),

daily_changes as (

    select
        department,
        change_on,
        sum(headcount_change) as headcount_change,
        sum(fte_change) as fte_change
    from changes
    group by department, change_on

),

departments as (

    select distinct department from employees

),

grid as (

    select
        departments.department,
        calendar.date_day,
        calendar.is_workday
    from departments
    cross join calendar

),

running as (

    select
        grid.date_day,
        grid.department,
        grid.is_workday,
        sum(coalesce(daily_changes.headcount_change, 0)) over (
            partition by grid.department order by grid.date_day rows unbounded preceding
        ) as headcount,
        sum(coalesce(daily_changes.fte_change, 0)) over (
            partition by grid.department order by grid.date_day rows unbounded preceding
        ) as fte_total
    from grid
    left join daily_changes
        on grid.department = daily_changes.department
        and grid.date_day = daily_changes.change_on

),

final as (

    select
        date_day,
        department,
        is_workday,
        cast(headcount as integer) as headcount,
        round(fte_total, 9) as fte_total,
        case when is_workday then round(7.4 * fte_total, 9) else 0 end as scheduled_hours
    from running

)

select * from final
