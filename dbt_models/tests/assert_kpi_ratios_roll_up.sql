-- Wherever numerator and denominator are both published, value = numerator / denominator, so
-- that a consumer can roll values up as sum(numerator) / sum(denominator).

select *
from {{ ref('kpi_values') }}
where value is not null
    and numerator is not null
    and denominator is not null
    and denominator <> 0
    and abs(value - numerator / denominator) > 1e-9 * greatest(1, abs(value))
