{{
    config(
        materialized='incremental',
        unique_key=['order_id', 'line_number'],
        incremental_strategy=fact_incremental_strategy(),
        partition_by=fact_partition_by('_file_id'),
        on_schema_change='fail',
    )
}}

-- Incremental on the ingest ledger: a run reads only files ingested since the last run
-- (higher _file_id) and replaces the stored version of every key they contain, so an
-- updated row of an old period is still counted once, in its latest version.
-- A partitioned run (vars partition_start / partition_end: the Dagster daily partitions)
-- rebuilds the lines of the orders whose latest version was ordered on those local days,
-- each in its latest version across all files. A line has no date of its own: lines of
-- orders not loaded (orphans, in no KPI) are rebuilt only by incremental and full runs.
-- depends_on: {{ source('crm', 'orders') }}

with

source as (

    select * from {{ source('crm', 'order_lines') }}
    {{ fact_source_filter() }}

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
    {% if is_partition_run() %}
        where
            order_id in (
                select orders.order_id
                from {{ source('crm', 'orders') }} as orders
                {{ latest_version(['order_id']) }}
                    and {{ in_partition_window(local_date('ordered_at')) }}
            )
    {% endif %}

)

select * from final
