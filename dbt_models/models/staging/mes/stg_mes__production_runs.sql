{{
    config(
        materialized='incremental',
        unique_key='run_id',
        incremental_strategy=fact_incremental_strategy(),
        partition_by=fact_partition_by('shift_date'),
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.
-- A partitioned run (vars partition_start / partition_end: the Dagster daily partitions)
-- rebuilds the keys of those local days instead: the runs whose latest version has
-- its shift_date on those days, and those stored on them (a run moved to another day gets its
-- latest version), each in its latest version across all files.

with

source as (

    select * from {{ source('mes', 'production_runs') }}
    {{ fact_source_filter() }}

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
    {% if is_partition_run() %}
        where
            {{ in_partition_window('shift_date') }}
            or run_id in (
                select stored_runs.run_id
                from {{ this }} as stored_runs
                where {{ in_partition_window('stored_runs.shift_date') }}
            )
    {% endif %}

)

select * from final
