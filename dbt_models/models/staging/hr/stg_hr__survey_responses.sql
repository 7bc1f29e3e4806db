with

source as (

    select * from {{ source('hr', 'survey_responses') }}

),

latest as (

    select * from source
    {{ latest_version(['response_id']) }}

),

final as (

    select
        response_id,
        survey_round,
        department,
        submitted_on,
        satisfaction,
        enps_score,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
