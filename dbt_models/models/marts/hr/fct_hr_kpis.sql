{{
    config(
        materialized=kpi_mart_materialization(),
        incremental_strategy='kpi_periods',
        on_schema_change='append_new_columns',
    )
}}

-- Incremental on DuckDB: a run computes again only the periods of the months whose inputs
-- changed (macros/incremental_marts.sql); rebuilt_months, built_as_of and inputs_checksum record
-- that. On Spark a table, built whole.

with

catalog_kpis as {{ inlined_cte() }} (

    select * from {{ ref('stg_catalog__kpis') }}

),

employees as {{ inlined_cte() }} (

    select * from {{ ref('stg_hr__employees') }}

),

absences as {{ inlined_cte() }} (

    select * from {{ ref('stg_hr__absences') }}

),

requisitions as {{ inlined_cte() }} (

    select * from {{ ref('stg_hr__requisitions') }}

),

survey_responses as {{ inlined_cte() }} (

    select * from {{ ref('stg_hr__survey_responses') }}

),

headcount_by_day as {{ inlined_cte() }} (

    select * from {{ ref('int_hr_headcount_by_day') }}

),

calendar as {{ inlined_cte() }} (

    select * from {{ ref('int_calendar_days') }}

),

-- Per department, grain and period: headcount on the first and the last day, the mean daily
-- headcount over the period's days up to the as-of date (the privacy measure) and the
-- scheduled hours on workdays.
department_periods as (

    select
        grains.grain,
        {{ period_start('grains.grain', 'headcount_by_day.date_day') }} as period_start,
        headcount_by_day.department,
        coalesce(sum(headcount_by_day.headcount) filter (
            where headcount_by_day.date_day = {{ period_start('grains.grain', 'headcount_by_day.date_day') }}
        ), 0) as headcount_first_day,
        coalesce(sum(headcount_by_day.headcount) filter (
            where headcount_by_day.date_day = {{ period_end(
                'grains.grain', period_start('grains.grain', 'headcount_by_day.date_day')
            ) }}
        ), 0) as headcount_last_day,
        coalesce(avg(
            case when headcount_by_day.date_day <= {{ as_of_date() }} then headcount_by_day.headcount end
        ), 0) as average_headcount_to_as_of,
        -- kpis.md: scheduled hours on the workdays in P, the running period's included.
        coalesce(sum(headcount_by_day.scheduled_hours), 0) as scheduled_hours,
        max(headcount_by_day.headcount) as max_headcount
    from headcount_by_day
    cross join (values ('day'), ('week'), ('month')) as grains (grain)
    group by 1, 2, 3

),

-- hr.employee_turnover: leavers in P / ((headcount first day + headcount last day) / 2).
turnover_events as (

    select
        {{ kpi_event(
            'hr.employee_turnover',
            'terminated_on',
            dimensions={'department': 'department'},
            numerator='1',
            is_population='false',
        ) }}
    from employees
    where terminated_on is not null

),

turnover_period_events as (

    select
        {{ kpi_period_event(
            'hr.employee_turnover',
            'grain',
            'period_start',
            dimensions={'department': 'department'},
            denominator='(headcount_first_day + headcount_last_day) / 2.0',
            is_population='max_headcount > 0',
            people='average_headcount_to_as_of',
        ) }}
    from department_periods

),

-- hr.sick_absence_rate: sick hours on workdays of employees in headcount that day / their
-- scheduled hours (7.4 × fte) on the workdays of P.
sick_absence_events as (

    select
        {{ kpi_event(
            'hr.sick_absence_rate',
            'absences.absence_date',
            dimensions={'department': 'employees.department'},
            numerator='absences.hours',
            is_population='false',
        ) }}
    from absences
    inner join employees
        on absences.employee_id = employees.employee_id
        and absences.absence_date >= employees.hired_on
        and (employees.terminated_on is null or absences.absence_date < employees.terminated_on)
    inner join calendar
        on absences.absence_date = calendar.date_day
    where absences.absence_type = 'sick'
        and calendar.is_workday

),

sick_absence_period_events as (

    select
        {{ kpi_period_event(
            'hr.sick_absence_rate',
            'grain',
            'period_start',
            dimensions={'department': 'department'},
            denominator='scheduled_hours',
            is_population='max_headcount > 0',
            people='average_headcount_to_as_of',
        ) }}
    from department_periods

),

-- hr.employee_satisfaction: mean satisfaction of responses submitted in P.
satisfaction_events as (

    select
        {{ kpi_event(
            'hr.employee_satisfaction',
            'submitted_on',
            dimensions={'department': 'department'},
            numerator='satisfaction',
            denominator='1',
            people='1',
        ) }}
    from survey_responses

),

-- hr.enps: 100 × (promoters 9–10 − detractors 0–6) / responses with a score, submitted in P.
-- The numerator carries the factor 100, so value = numerator / denominator.
enps_events as (

    select
        {{ kpi_event(
            'hr.enps',
            'submitted_on',
            dimensions={'department': 'department'},
            numerator='case when enps_score >= 9 then 100 when enps_score <= 6 then -100 else 0 end',
            denominator='1',
            people='1',
        ) }}
    from survey_responses
    where enps_score is not null

),

-- hr.time_to_hire_days: median days from opened_on to filled_on, positions filled in P.
time_to_hire_events as {{ inlined_cte() }} (

    select
        {{ kpi_event(
            'hr.time_to_hire_days',
            'filled_on',
            dimensions={'department': 'department'},
            measure=dbt.datediff('opened_on', 'filled_on', 'day'),
        ) }}
    from requisitions
    where filled_on is not null

),

-- hr.internal_mobility_rate: positions filled internally in P / positions filled in P
-- (an empty filled_internally counts as filled externally).
internal_mobility_events as (

    select
        {{ kpi_event(
            'hr.internal_mobility_rate',
            'filled_on',
            dimensions={'department': 'department'},
            numerator='case when is_filled_internally then 1 else 0 end',
            denominator='1',
        ) }}
    from requisitions
    where filled_on is not null

),

-- hr.early_attrition_rate: hires of P who left at most 90 days after hired_on / hires of P.
early_attrition_events as (

    select
        {{ kpi_event(
            'hr.early_attrition_rate',
            'hired_on',
            dimensions={'department': 'department'},
            numerator='case when terminated_on is not null and '
                ~ dbt.datediff('hired_on', 'terminated_on', 'day') ~ ' <= 90 then 1 else 0 end',
            denominator='1',
            people='1',
        ) }}
    from employees

),

events as (

    select * from turnover_events
    union all
    select * from sick_absence_events
    union all
    select * from satisfaction_events
    union all
    select * from enps_events
    union all
    select * from time_to_hire_events
    union all
    select * from internal_mobility_events
    union all
    select * from early_attrition_events

),

-- The events summed per day: everything below reads these rows (computed where read, not kept).
event_days as {{ inlined_cte() }} (

    {{ kpi_event_days(['events']) }}

),

event_months as (

    {{ kpi_event_months(['event_days']) }}

),

bounds as (

    {{ kpi_bounds('event_months') }}

),

-- What this run computes again (macros/incremental_marts.sql).
input_checksums as (

    {{ kpi_input_checksums({
        'event_months': 'month_start',
        'turnover_period_events': 'period_start',
        'sick_absence_period_events': 'period_start',
        'employees': 'terminated_on',
    }, 'hr') }}

),

rebuild as {{ materialized_cte() }} (

    {{ kpi_rebuild_months('input_checksums', 'bounds', 'hr') }}

),

period_events as (

    {{ explode_to_periods('event_days', 'rebuild') }}

    union all

    select * from turnover_period_events
    where {{ kpi_is_rebuilt('period_start', 'rebuild', 'month_end') }}

    union all

    select * from sick_absence_period_events
    where {{ kpi_is_rebuilt('period_start', 'rebuild', 'month_end') }}

),

aggregated_cells as (

    {{ aggregate_kpi_cells('period_events', ['time_to_hire_events'], 'rebuild') }}

),

-- Turnover by termination type: leavers of the type over the total's denominator (and the
-- total's people count for suppression); a type has a row when it has leavers in P.
termination_type_cells as (

    select
        'hr.employee_turnover' as kpi_id,
        leaver_periods.grain,
        leaver_periods.period_start,
        'termination_type' as dimension_name,
        leaver_periods.termination_type as dimension_value,
        cast(count(*) as double) as numerator,
        max(totals.denominator) as denominator,
        cast(null as double) as median_value,
        0 as measure_count,
        count(*) as population_count,
        max(totals.people_count) as people_count,
        cast(null as {{ type_text() }}) as null_reason
    from (
        select
            grains.grain,
            {{ period_start('grains.grain', 'employees.terminated_on') }} as period_start,
            employees.termination_type
        from employees
        cross join (values ('day'), ('week'), ('month')) as grains (grain)
        where employees.terminated_on is not null
            and employees.termination_type is not null
    ) as leaver_periods
    left join aggregated_cells as totals
        on totals.kpi_id = 'hr.employee_turnover'
        and totals.dimension_name = 'total'
        and leaver_periods.grain = totals.grain
        and leaver_periods.period_start = totals.period_start
    where {{ kpi_is_rebuilt('leaver_periods.period_start', 'rebuild', 'month_end') }}
    group by 1, 2, 3, 4, 5

),

cells as (

    select * from aggregated_cells
    union all
    select * from termination_type_cells

),

finalized as (

    {{ finalize_kpi_cells('cells', 'bounds', 'hr', 'rebuild') }}

),

-- Privacy. A cell computed over fewer than 5 people is suppressed ('group below 5') unless it
-- is empty anyway. Where exactly one department of a breakdown is suppressed, the next smallest
-- department by the same measure (ties: first by name) is suppressed too ('complementary
-- suppression'), so the suppressed value cannot be recovered from the total and the others.
flagged as (

    select
        finalized.*,
        catalog_kpis.is_computed_over_people as is_people_kpi,
        finalized.value is not null or coalesce(finalized.numerator, 0) <> 0 as has_content
    from finalized
    inner join catalog_kpis
        on finalized.kpi_id = catalog_kpis.kpi_id

),

primary_suppression as (

    select
        *,
        is_people_kpi and has_content and people_count < 5 as is_below_threshold
    from flagged

),

departments_below_threshold as (

    select
        kpi_id,
        grain,
        period_start,
        count(case when is_below_threshold then 1 end) as departments_suppressed
    from primary_suppression
    where dimension_name = 'department'
    group by 1, 2, 3

),

complementary_suppression as (

    select
        primary_suppression.kpi_id,
        primary_suppression.grain,
        primary_suppression.period_start,
        primary_suppression.dimension_value
    from primary_suppression
    inner join departments_below_threshold
        on primary_suppression.kpi_id = departments_below_threshold.kpi_id
        and primary_suppression.grain = departments_below_threshold.grain
        and primary_suppression.period_start = departments_below_threshold.period_start
    where primary_suppression.dimension_name = 'department'
        and departments_below_threshold.departments_suppressed = 1
        and primary_suppression.is_people_kpi
        and primary_suppression.has_content
        and not primary_suppression.is_below_threshold
    qualify
        row_number() over (
            partition by
                primary_suppression.kpi_id,
                primary_suppression.grain,
                primary_suppression.period_start
            order by primary_suppression.people_count, primary_suppression.dimension_value
        ) = 1

),

suppressed as (

    select
        primary_suppression.*,
        case
            when primary_suppression.is_below_threshold then 'group below 5'
            when complementary_suppression.kpi_id is not null then 'complementary suppression'
        end as suppression_reason
    from primary_suppression
    left join complementary_suppression
        on primary_suppression.kpi_id = complementary_suppression.kpi_id
        and primary_suppression.grain = complementary_suppression.grain
        and primary_suppression.period_start = complementary_suppression.period_start
        and primary_suppression.dimension_name = 'department'
        and primary_suppression.dimension_value = complementary_suppression.dimension_value

),

-- The people count goes on only for the values shown, where the publish step's guard re-checks
-- that it is at least 5; on a suppressed cell it is nulled with the value, so the count that
-- decided suppression never leaves this model. It is never published.
final as (

    select
        kpi_id,
        grain,
        period_start,
        period_end,
        dimension_name,
        dimension_value,
        case when suppression_reason is null then value end as value,
        case when suppression_reason is null then numerator end as numerator,
        case when suppression_reason is null then denominator end as denominator,
        case when suppression_reason is null then sample_size end as sample_size,
        is_complete_period,
        is_provisional,
        coalesce(suppression_reason, null_reason) as null_reason,
        case when suppression_reason is null then people_count end as people_count
    from suppressed

)

{{ kpi_mart_rows('final', 'rebuild', 'input_checksums') }}
