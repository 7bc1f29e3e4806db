with

source as (

    select * from {{ source('helpdesk', 'nps_responses') }}

),

latest as (

    select * from source
    {{ latest_version(['response_id']) }}

),

final as (

    select
        response_id,
        customer_id,
        responded_at,
        {{ local_date('responded_at') }} as responded_on,
        score,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
