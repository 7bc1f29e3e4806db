-- Privacy (kpis.md): no HR value computed over people is published when it rests on fewer than
-- 5 of them, or on a number of people nobody counted. Reports the cells, never their counts.

with

scorecard as (

    select * from {{ ref('kpi_scorecard') }}

),

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

final as (

    select
        scorecard.kpi_id,
        scorecard.grain,
        scorecard.period_start,
        scorecard.dimension_name,
        scorecard.dimension_value
    from scorecard
    inner join kpis
        on scorecard.kpi_id = kpis.kpi_id
    where kpis.is_computed_over_people
        and scorecard.value is not null
        and (scorecard.people_count is null or scorecard.people_count < 5)

)

select * from final
