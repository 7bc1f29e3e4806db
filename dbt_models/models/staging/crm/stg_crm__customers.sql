with

source as (

    select * from {{ source('crm', 'customers') }}

),

latest as (

    select * from source
    {{ latest_version(['customer_id']) }}

),

final as (

    select
        customer_id,
        segment,
        region,
        created_at,
        {{ local_date('created_at') }} as created_on,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
