with

source as (

    select * from {{ source('crm', 'salespeople') }}

),

latest as (

    select * from source
    {{ latest_version(['salesperson_id']) }}

),

final as (

    select
        salesperson_id,
        region,
        team,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
