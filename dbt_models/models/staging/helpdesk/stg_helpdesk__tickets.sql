{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy=fact_incremental_strategy(),
        partition_by=fact_partition_by('created_on'),
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.
-- A partitioned run (vars partition_start / partition_end: the Dagster daily partitions)
-- rebuilds the keys of those local days instead: the tickets whose latest version
-- was created on those days, and those stored on them (a ticket moved to another day gets its
-- latest version), each in its latest version across all files.

with

source as (

    select * from {{ source('helpdesk', 'tickets') }}
    {{ fact_source_filter() }}

),

latest as (

    select * from source
    {{ latest_version(['ticket_id']) }}

),

final as (

    select
        ticket_id,
        customer_id,
        channel,
        category,
        agent_team,
        created_at,
        {{ local_date('created_at') }} as created_on,
        first_response_at,
        {{ local_date('first_response_at') }} as first_response_on,
        resolved_at,
        {{ local_date('resolved_at') }} as resolved_on,
        contacts_count,
        reopened_count,
        parent_ticket_id,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest
    {% if is_partition_run() %}
        where
            {{ in_partition_window(local_date('created_at')) }}
            or ticket_id in (
                select stored_tickets.ticket_id
                from {{ this }} as stored_tickets
                where {{ in_partition_window('stored_tickets.created_on') }}
            )
    {% endif %}

)

select * from final
