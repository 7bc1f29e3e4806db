{{
    config(
        materialized='incremental',
        unique_key='session_id',
        incremental_strategy=fact_incremental_strategy(),
        partition_by=fact_partition_by('started_on'),
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.
-- A partitioned run (vars partition_start / partition_end: the Dagster daily partitions)
-- rebuilds the keys of those local days instead: the sessions whose latest version
-- started on those days, and those stored on them (a session moved to another day gets its
-- latest version), each in its latest version across all files.

with

source as (

    select * from {{ source('web', 'sessions') }}
    {{ fact_source_filter() }}

),

latest as (

    select * from source
    {{ latest_version(['session_id']) }}

),

final as (

    select
        session_id,
        visitor_id,
        started_at,
        {{ local_date('started_at') }} as started_on,
        channel,
        campaign_id,
        landing_page,
        pageviews,
        engaged_seconds,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest
    {% if is_partition_run() %}
        where
            {{ in_partition_window(local_date('started_at')) }}
            or session_id in (
                select stored_sessions.session_id
                from {{ this }} as stored_sessions
                where {{ in_partition_window('stored_sessions.started_on') }}
            )
    {% endif %}

)

select * from final
