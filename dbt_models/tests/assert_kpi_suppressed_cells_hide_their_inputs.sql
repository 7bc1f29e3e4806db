-- HR privacy (kpis.md): a cell suppressed for privacy publishes no value, numerator,
-- denominator or sample size, and hands on no people count, so that neither the value nor the
-- count that decided its suppression can be read back.

select *
from {{ ref('kpi_values') }}
where {{ is_suppressed('null_reason') }}
    and (
        value is not null
        or numerator is not null
        or denominator is not null
        or sample_size is not null
        or people_count is not null
    )
