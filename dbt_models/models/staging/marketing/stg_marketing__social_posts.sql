with

source as (

    select * from {{ source('marketing', 'social_posts') }}

),

latest as (

    select * from source
    {{ latest_version(['post_id']) }}

),

final as (

    select
        post_id,
        platform,
        published_at,
        {{ local_date('published_at') }} as published_on,
        impressions,
        likes,
        shares,
        comments,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
