{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.

with

source as (

    select * from {{ source('helpdesk', 'tickets') }}
    {% if is_incremental() %}
    where _file_id > (select coalesce(max(_file_id), -1) from {{ this }})
    {% endif %}

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

)

select * from final
