-- Privacy guard, recomputed from staging: no published survey or early-attrition value of a
-- department or the total rests on fewer than 5 people.

with

published as (

    select *
    from {{ ref('kpi_values') }}
    where kpi_id in ('hr.employee_satisfaction', 'hr.enps', 'hr.early_attrition_rate')
        and dimension_name in ('total', 'department')
        and (value is not null or numerator is not null or denominator is not null)

),

people as (

    select
        'hr.employee_satisfaction' as kpi_id,
        submitted_on as event_on,
        department
    from {{ ref('stg_hr__survey_responses') }}

    union all

    select
        'hr.enps' as kpi_id,
        submitted_on as event_on,
        department
    from {{ ref('stg_hr__survey_responses') }}
    where enps_score is not null

    union all

    select
        'hr.early_attrition_rate' as kpi_id,
        hired_on as event_on,
        department
    from {{ ref('stg_hr__employees') }}

),

counted as (

    select
        published.kpi_id,
        published.grain,
        published.period_start,
        published.dimension_name,
        published.dimension_value,
        count(people.kpi_id) as people_count
    from published
    left join people
        on published.kpi_id = people.kpi_id
        and people.event_on between published.period_start and published.period_end
        and (
            published.dimension_name = 'total'
            or published.dimension_value = people.department
        )
    group by 1, 2, 3, 4, 5

)

select *
from counted
where people_count between 1 and 4
