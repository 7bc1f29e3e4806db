{{
    config(
        materialized='incremental',
        unique_key='run_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.

with

source as (

    select * from {{ source('mes', 'production_runs') }}
    {% if is_incremental() %}
    where _file_id > (select coalesce(max(_file_id), -1) from {{ this }})
    {% endif %}

),

latest as (

    select * from source
    {{ latest_version(['run_id']) }}

),

final as (

    select
        run_id,
        machine_id,
        product_id,
        shift_date,
        planned_minutes,
        downtime_minutes,
        ideal_cycle_seconds,
        total_count,
        good_count,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
