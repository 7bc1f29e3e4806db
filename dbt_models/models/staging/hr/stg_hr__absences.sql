{{
    config(
        materialized='incremental',
        unique_key='absence_id',
        incremental_strategy=fact_incremental_strategy(),
        partition_by=fact_partition_by('absence_date'),
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.
-- A partitioned run (vars partition_start / partition_end: the Dagster daily partitions)
-- rebuilds the keys of those local days instead: the absences whose latest version
-- falls on those days, and those stored on them (an absence moved to another day gets its
-- latest version), each in its latest version across all files.

with

source as (

    select * from {{ source('hr', 'absences') }}
    {{ fact_source_filter() }}

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
    {% if is_partition_run() %}
        where
            {{ in_partition_window('absence_date') }}
            or absence_id in (
                select stored_absences.absence_id
                from {{ this }} as stored_absences
                where {{ in_partition_window('stored_absences.absence_date') }}
            )
    {% endif %}

)

select * from final
