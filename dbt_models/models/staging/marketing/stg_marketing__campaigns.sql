with

source as (

    select * from {{ source('marketing', 'campaigns') }}

),

latest as (

    select * from source
    {{ latest_version(['campaign_id']) }}

),

final as (

    select
        campaign_id,
        campaign_name,
        channel,
        started_on,
        ended_on,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
