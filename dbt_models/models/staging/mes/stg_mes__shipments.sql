with

source as (

    select * from {{ source('mes', 'shipments') }}

),

latest as (

    select * from source
    {{ latest_version(['shipment_id']) }}

),

final as (

    select
        shipment_id,
        order_id,
        shipped_at,
        {{ local_date('shipped_at') }} as shipped_on,
        delivered_at,
        {{ local_date('delivered_at') }} as delivered_on,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
