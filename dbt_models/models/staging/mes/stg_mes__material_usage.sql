with

source as (

    select * from {{ source('mes', 'material_usage') }}

),

latest as (

    select * from source
    {{ latest_version(['usage_id']) }}

),

final as (

    select
        usage_id,
        line_id,
        usage_date,
        material,
        input_kg,
        scrap_kg,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
