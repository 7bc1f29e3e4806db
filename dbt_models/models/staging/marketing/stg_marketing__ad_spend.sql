with

source as (

    select * from {{ source('marketing', 'ad_spend') }}

),

latest as (

    select * from source
    {{ latest_version(['spend_date', 'campaign_id']) }}

),

final as (

    select
        spend_date,
        campaign_id,
        spend,
        impressions,
        clicks,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
