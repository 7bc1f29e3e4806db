with

source as (

    select * from {{ source('marketing', 'leads') }}

),

latest as (

    select * from source
    {{ latest_version(['lead_id']) }}

),

final as (

    select
        lead_id,
        created_at,
        {{ local_date('created_at') }} as created_on,
        session_id,
        channel,
        campaign_id,
        converted_customer_id,
        converted_at,
        {{ local_date('converted_at') }} as converted_on,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
