with

source as (

    select * from {{ source('mes', 'machines') }}

),

latest as (

    select * from source
    {{ latest_version(['machine_id']) }}

),

final as (

    select
        machine_id,
        line_id,
        site,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
