with

source as (

    select * from {{ source('catalog', 'kpi_targets') }}

),

final as (

    select
        kpi_id,
        grain,
        period_start,
        target
    from source

)

select * from final
