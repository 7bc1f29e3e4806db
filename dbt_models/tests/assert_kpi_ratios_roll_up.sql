-- Wherever numerator and denominator are both published, value = numerator / denominator, so
-- that a consumer can roll values up as sum(numerator) / sum(denominator); a zero denominator
-- leaves the value null (kpis.md: never 0, never infinite).

select *
from {{ ref('kpi_values') }}
where numerator is not null
    and denominator is not null
    and (
        (denominator = 0 and value is not null)
        or (denominator <> 0 and value is null)
        or (denominator <> 0 and abs(value - numerator / denominator) > 1e-9 * greatest(1, abs(value)))
    )
