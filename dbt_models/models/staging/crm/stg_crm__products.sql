with

source as (

    select * from {{ source('crm', 'products') }}

),

latest as (

    select * from source
    {{ latest_version(['product_id']) }}

),

final as (

    select
        product_id,
        product_name,
        category,
        unit_cost,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
