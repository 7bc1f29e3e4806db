with

source as (

    select * from {{ source('helpdesk', 'csat_surveys') }}

),

latest as (

    select * from source
    {{ latest_version(['ticket_id']) }}

),

final as (

    select
        ticket_id,
        surveyed_at,
        {{ local_date('surveyed_at') }} as surveyed_on,
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
