{{
    config(
        materialized=kpi_mart_materialization(),
        incremental_strategy='kpi_periods',
        on_schema_change='append_new_columns',
    )
}}

-- Incremental on DuckDB: a run computes again only the periods of the months whose inputs
-- changed (macros/incremental_marts.sql); rebuilt_months, built_as_of and inputs_checksum record
-- that. On Spark a table, built whole.

with

production_runs as {{ inlined_cte() }} (

    select * from {{ ref('stg_mes__production_runs') }}

),

machines as {{ inlined_cte() }} (

    select * from {{ ref('stg_mes__machines') }}

),

material_usage as {{ inlined_cte() }} (

    select * from {{ ref('stg_mes__material_usage') }}

),

shipments as {{ inlined_cte() }} (

    select * from {{ ref('stg_mes__shipments') }}

),

orders as {{ inlined_cte() }} (

    select * from {{ ref('stg_crm__orders') }}

),

-- Run time = planned_minutes − downtime_minutes; line and site are the run's machine's.
runs as {{ inlined_cte() }} (

    select
        production_runs.run_id,
        production_runs.shift_date,
        production_runs.product_id,
        machines.line_id,
        machines.site,
        production_runs.planned_minutes,
        production_runs.planned_minutes - production_runs.downtime_minutes as run_minutes,
        production_runs.ideal_cycle_seconds * production_runs.total_count as ideal_seconds,
        production_runs.total_count,
        production_runs.good_count
    from production_runs
    left join machines
        on production_runs.machine_id = machines.machine_id

),

-- production.output_units: good_count of runs with shift_date in P.
output_events as (

    select
        {{ kpi_event(
            'production.output_units',
            'shift_date',
            dimensions={'line': 'line_id', 'site': 'site', 'product': 'product_id'},
            numerator='good_count',
        ) }}
    from runs

),

-- production.units_per_run_hour: good_count / (run minutes / 60). Run hours divided as doubles,
-- as DuckDB divides an integer by a decimal; Spark's decimal quotient keeps only 6 places.
units_per_run_hour_events as (

    select
        {{ kpi_event(
            'production.units_per_run_hour',
            'shift_date',
            dimensions={'line': 'line_id', 'site': 'site', 'product': 'product_id'},
            numerator='good_count',
            denominator='cast(run_minutes as double) / 60.0',
        ) }}
    from runs

),

-- production.quality_rate: good_count / total_count.
quality_events as (

    select
        {{ kpi_event(
            'production.quality_rate',
            'shift_date',
            dimensions={'line': 'line_id', 'site': 'site'},
            numerator='good_count',
            denominator='total_count',
        ) }}
    from runs

),

-- production.oee_availability: run minutes / planned minutes.
availability_events as (

    select
        {{ kpi_event(
            'production.oee_availability',
            'shift_date',
            dimensions={'line': 'line_id', 'site': 'site'},
            numerator='run_minutes',
            denominator='planned_minutes',
        ) }}
    from runs

),

-- production.oee_performance: ideal_cycle_seconds × total_count / (run minutes × 60).
performance_events as (

    select
        {{ kpi_event(
            'production.oee_performance',
            'shift_date',
            dimensions={'line': 'line_id', 'site': 'site'},
            numerator='ideal_seconds',
            denominator='run_minutes * 60.0',
        ) }}
    from runs

),

-- The parts of production.oee, summed per cell and combined after aggregation below.
oee_component_events as (

    select
        {{ kpi_event(
            'production.oee',
            'shift_date',
            dimensions={'line': 'line_id', 'site': 'site'},
            numerator='ideal_seconds',
            denominator='planned_minutes',
        ) }}
    from runs

),

-- production.delivery_lead_time_days: median elapsed days from the order's ordered_at to
-- delivered_at, shipments delivered in P (one value per shipment).
lead_time_events as {{ inlined_cte() }} (

    select
        {{ kpi_event(
            'production.delivery_lead_time_days',
            'shipments.delivered_on',
            dimensions={'region': 'orders.region'},
            measure=elapsed_seconds('orders.ordered_at', 'shipments.delivered_at') ~ ' / 86400.0',
        ) }}
    from shipments
    inner join orders
        on shipments.order_id = orders.order_id
    where shipments.delivered_at is not null

),

-- production.on_time_delivery_rate: delivered (local date) on or before the promised date /
-- shipments delivered in P whose order has a promised date.
on_time_events as (

    select
        {{ kpi_event(
            'production.on_time_delivery_rate',
            'shipments.delivered_on',
            dimensions={'region': 'orders.region'},
            numerator='case when shipments.delivered_on <= orders.promised_delivery_date then 1 else 0 end',
            denominator='1',
        ) }}
    from shipments
    inner join orders
        on shipments.order_id = orders.order_id
    where shipments.delivered_at is not null
        and orders.promised_delivery_date is not null

),

-- production.waste_rate: scrap_kg / input_kg of usage with usage_date in P.
waste_events as (

    select
        {{ kpi_event(
            'production.waste_rate',
            'usage_date',
            dimensions={'line': 'line_id', 'material': 'material'},
            numerator='scrap_kg',
            denominator='input_kg',
        ) }}
    from material_usage

),

events as (

    select * from output_events
    union all
    select * from units_per_run_hour_events
    union all
    select * from quality_events
    union all
    select * from availability_events
    union all
    select * from performance_events
    union all
    select * from oee_component_events
    union all
    select * from lead_time_events
    union all
    select * from on_time_events
    union all
    select * from waste_events

),

-- The events summed per day: everything below reads these rows (computed where read, not kept).
event_days as {{ inlined_cte() }} (

    {{ kpi_event_days(['events']) }}

),

event_months as (

    {{ kpi_event_months(['event_days']) }}

),

bounds as (

    {{ kpi_bounds('event_months') }}

),

-- What this run computes again (macros/incremental_marts.sql).
input_checksums as (

    {{ kpi_input_checksums({'event_months': 'month_start'}, 'production') }}

),

rebuild as {{ materialized_cte() }} (

    {{ kpi_rebuild_months('input_checksums', 'bounds', 'production') }}

),

period_events as (

    {{ explode_to_periods('event_days', 'rebuild') }}

),

aggregated_cells as (

    {{ aggregate_kpi_cells('period_events', ['lead_time_events'], 'rebuild') }}

),

-- OEE = availability × performance × quality, each aggregated over the cell's runs first:
-- (run / planned) × (ideal seconds / (run × 60)) × (good / total). Stored as
-- numerator = fully productive minutes = ideal seconds / 60 × quality, denominator = planned
-- minutes; undefined when the cell has no run time or no units produced. In doubles: exact
-- decimals divided would keep only 6 places on Spark (DuckDB divides decimals as doubles).
oee_cells as (

    select
        oee.kpi_id,
        oee.grain,
        oee.period_start,
        oee.dimension_name,
        oee.dimension_value,
        case
            when availability.numerator > 0 and quality.denominator > 0
                then cast(oee.numerator as double) / 60.0 * quality.numerator / quality.denominator
        end as numerator,
        oee.denominator,
        oee.median_value,
        oee.measure_count,
        oee.population_count,
        oee.people_count,
        case
            when coalesce(availability.numerator, 0) = 0 then 'no run time in period'
            when coalesce(quality.denominator, 0) = 0 then 'no units produced in period'
        end as null_reason
    from aggregated_cells as oee
    inner join aggregated_cells as availability
        on availability.kpi_id = 'production.oee_availability'
        and oee.grain = availability.grain
        and oee.period_start = availability.period_start
        and oee.dimension_name = availability.dimension_name
        and oee.dimension_value = availability.dimension_value
    inner join aggregated_cells as quality
        on quality.kpi_id = 'production.quality_rate'
        and oee.grain = quality.grain
        and oee.period_start = quality.period_start
        and oee.dimension_name = quality.dimension_name
        and oee.dimension_value = quality.dimension_value
    where oee.kpi_id = 'production.oee'

),

cells as (

    select * from aggregated_cells
    where kpi_id <> 'production.oee'

    union all

    select * from oee_cells

),

final as (

    {{ finalize_kpi_cells('cells', 'bounds', 'production', 'rebuild') }}

)

{{ kpi_mart_rows('final', 'rebuild', 'input_checksums') }}
