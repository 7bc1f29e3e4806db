with

source as (

    select * from {{ source('catalog', 'guardrail_pairs') }}

),

final as (

    select
        headline_kpi_id,
        guardrail_kpi_id,
        threshold_pct,
        headline_move,
        meaning_da,
        meaning_en,
        shared_grains,
        shared_dimensions
    from source

)

select * from final
