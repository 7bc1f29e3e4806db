with

source as (

    select * from {{ source('crm', 'orders') }}

),

latest as (

    select * from source
    {{ latest_version(['order_id']) }}

),

final as (

    select
        order_id,
        customer_id,
        opportunity_id,
        salesperson_id,
        channel,
        region,
        ordered_at,
        {{ local_date('ordered_at') }} as ordered_on,
        promised_delivery_date,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
