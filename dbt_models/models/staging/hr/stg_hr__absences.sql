{{
    config(
        materialized='incremental',
        unique_key='absence_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.

with

source as (

    select * from {{ source('hr', 'absences') }}
    {% if is_incremental() %}
    where _file_id > (select coalesce(max(_file_id), -1) from {{ this }})
    {% endif %}

),

latest as (

    select * from source
    {{ latest_version(['absence_id']) }}

),

final as (

    select
        absence_id,
        employee_id,
        absence_date,
        hours,
        absence_type,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
