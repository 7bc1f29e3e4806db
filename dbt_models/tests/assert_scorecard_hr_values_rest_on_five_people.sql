-- Privacy (kpis.md): no HR value computed over people is published when it rests on fewer than
-- 5 of them, or on a number of people nobody counted. Reports the cells, never their counts.

select
    kpi_id,
    grain,
    period_start,
    dimension_name,
    dimension_value
from {{ ref('kpi_scorecard') }}
where is_computed_over_people
    and value is not null
    and (people_count is null or people_count < 5)
