{{
    config(
        materialized='incremental',
        unique_key=['order_id', 'line_number'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.

with

source as (

    select * from {{ source('crm', 'order_lines') }}
    {% if is_incremental() %}
    where _file_id > (select coalesce(max(_file_id), -1) from {{ this }})
    {% endif %}

),

latest as (

    select * from source
    {{ latest_version(['order_id', 'line_number']) }}

),

final as (

    select
        order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        discount_pct,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
