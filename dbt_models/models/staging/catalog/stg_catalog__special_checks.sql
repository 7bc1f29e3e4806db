with

source as (

    select * from {{ source('catalog', 'special_checks') }}

),

final as (

    select
        check_id,
        kpi_id,
        related_kpi_id,
        gap_pct_points,
        min_tickets_per_side,
        description_da,
        description_en
    from source

)

select * from final
