with

source as (

    select * from {{ source('hr', 'employees') }}

),

latest as (

    select * from source
    {{ latest_version(['employee_id']) }}

),

final as (

    select
        employee_id,
        department,
        location,
        hired_on,
        terminated_on,
        termination_type,
        fte,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
