with

source as (

    select * from {{ source('hr', 'requisitions') }}

),

latest as (

    select * from source
    {{ latest_version(['requisition_id']) }}

),

final as (

    select
        requisition_id,
        department,
        opened_on,
        filled_on,
        status,
        filled_internally as is_filled_internally,
        hired_employee_id,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
