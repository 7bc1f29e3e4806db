-- How current each KPI's data is (kpis.md, Annotations: latest source data time, hours since).
-- A KPI is as fresh as its stalest source table with events: per table the newest event time
-- of its raw rows (a date counts from its local midnight); lookup tables without events do not
-- count, and a KPI with no source that has events takes the last ingest of its sources. Hours
-- run to the end of the as-of day (Europe/Copenhagen), or to the computation time when that is
-- earlier (an as-of date of today).


with

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

as_of as (

    select max(as_of_date) as as_of_date from {{ ref('kpi_values') }}

),

ledger as (

    select * from {{ source('ingest', 'file_ledger') }}

),

source_times as (

    {{ source_event_times() }}

),

last_ingests as (

    select
        source_table,
        max(ingested_at) as last_ingested_at
    from ledger
    where status = 'loaded'
    group by source_table

),

kpi_sources as (

    select
        kpi_id,
        {{ unnest_list('sources') }} as source_table
    from kpis

),

kpi_source_times as (

    select
        kpi_sources.kpi_id,
        source_times.has_events,
        source_times.newest_event_at,
        last_ingests.last_ingested_at
    from kpi_sources
    left join source_times
        on kpi_sources.source_table = source_times.source_table
    left join last_ingests
        on kpi_sources.source_table = last_ingests.source_table

),

freshness as (

    select
        kpi_id,
        coalesce(
            min(case when has_events then newest_event_at end),
            min(last_ingested_at)
        ) as data_freshness_at
    from kpi_source_times
    group by kpi_id

),

reference as (

    select
        least(
            {{ local_instant('cast(' ~ dbt.dateadd('day', 1, 'as_of.as_of_date') ~ ' as timestamp)') }},
            {{ computed_at() }}
        ) as freshness_reference_at
    from as_of

),

final as (

    select
        kpis.kpi_id,
        freshness.data_freshness_at,
        round(
            greatest(
                {{ elapsed_seconds('freshness.data_freshness_at', 'reference.freshness_reference_at') }}, 0
            ) / 3600,
            1
        ) as freshness_hours,
        reference.freshness_reference_at
    from kpis
    left join freshness
        on kpis.kpi_id = freshness.kpi_id
    cross join reference

)

select * from final
