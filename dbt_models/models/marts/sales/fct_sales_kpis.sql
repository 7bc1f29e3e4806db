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

order_lines as {{ inlined_cte() }} (

    select * from {{ ref('int_order_lines_with_revenue') }}

),

orders as {{ inlined_cte() }} (

    select * from {{ ref('int_orders_with_revenue') }}

),

opportunities as {{ inlined_cte() }} (

    select * from {{ ref('stg_crm__opportunities') }}

),

budgets as {{ inlined_cte() }} (

    select * from {{ ref('stg_finance__budgets') }}

),

customers as {{ inlined_cte() }} (

    select * from {{ ref('stg_crm__customers') }}

),

-- sales.revenue: quantity × unit_price × (1 − discount_pct) of the lines of orders placed in P.
revenue_events as (

    select
        {{ kpi_event(
            'sales.revenue',
            'ordered_on',
            dimensions={
                'region': 'region',
                'channel': 'channel',
                'product_category': 'product_category',
            },
            numerator='revenue_dkk',
        ) }}
    from order_lines

),

-- sales.revenue_vs_budget: revenue of P / revenue_budget of P; the budget rows are the
-- population (a region has a row when it has a budget). Budget months are plans, not events.
revenue_vs_budget_events as (

    select
        {{ kpi_event(
            'sales.revenue_vs_budget',
            'ordered_on',
            dimensions={'region': 'region'},
            numerator='revenue_dkk',
            is_population='false',
        ) }}
    from order_lines

    union all

    select
        {{ kpi_event(
            'sales.revenue_vs_budget',
            'budget_month',
            dimensions={'region': 'region'},
            denominator='revenue_budget',
            is_bounding='false',
        ) }}
    from budgets

),

-- sales.hit_rate: quoted opportunities closed in P as won / the same closed as won or lost.
hit_rate_events as (

    select
        {{ kpi_event(
            'sales.hit_rate',
            'closed_on',
            dimensions={'region': 'region', 'channel': 'channel'},
            numerator="case when status = 'won' then 1 else 0 end",
            denominator='1',
        ) }}
    from opportunities
    where quote_sent_at is not null
        and closed_at is not null
        and status in ('won', 'lost')

),

-- sales.avg_order_size: revenue of orders placed in P / number of those orders (an order
-- without lines counts, with revenue 0).
avg_order_size_events as (

    select
        {{ kpi_event(
            'sales.avg_order_size',
            'ordered_on',
            dimensions={'region': 'region', 'channel': 'channel'},
            numerator='revenue_dkk',
            denominator='1',
        ) }}
    from orders

),

-- sales.sales_cycle_days: median elapsed days from first contact to close, won in P.
sales_cycle_events as {{ inlined_cte() }} (

    select
        {{ kpi_event(
            'sales.sales_cycle_days',
            'closed_on',
            dimensions={'region': 'region', 'channel': 'channel'},
            measure=elapsed_seconds('first_contact_at', 'closed_at') ~ ' / 86400.0',
        ) }}
    from opportunities
    where status = 'won'
        and closed_at is not null

),

events as (

    select * from revenue_events
    union all
    select * from revenue_vs_budget_events
    union all
    select * from hit_rate_events
    union all
    select * from avg_order_size_events
    union all
    select * from sales_cycle_events

),

-- Customer retention and churn: the customers with an order in a period are the population of
-- the next period; they are retained when they order in that period too.
retention_grains as (

    select {{ unnest_list('grains') }} as grain
    from {{ ref('stg_catalog__kpis') }}
    where kpi_id = 'sales.customer_retention'

),

customer_periods as (

    select distinct
        retention_grains.grain,
        {{ period_start('retention_grains.grain', 'orders.ordered_on') }} as period_start,
        orders.customer_id
    from orders
    cross join retention_grains
    where orders.ordered_on is not null

),

retention_base as (

    select
        previous_periods.grain,
        {{ next_period_start('previous_periods.grain', 'previous_periods.period_start') }}
            as period_start,
        previous_periods.customer_id,
        customers.segment,
        current_periods.customer_id is not null as is_retained
    from customer_periods as previous_periods
    left join customer_periods as current_periods
        on previous_periods.grain = current_periods.grain
        and previous_periods.customer_id = current_periods.customer_id
        and current_periods.period_start = {{ next_period_start(
            'previous_periods.grain', 'previous_periods.period_start'
        ) }}
    left join customers
        on previous_periods.customer_id = customers.customer_id

),

retention_period_events as (

    select
        {{ kpi_period_event(
            'sales.customer_retention',
            'grain',
            'period_start',
            dimensions={'segment': 'segment'},
            numerator='case when is_retained then 1 else 0 end',
            denominator='1',
        ) }}
    from retention_base

    union all

    select
        {{ kpi_period_event(
            'sales.churn_rate',
            'grain',
            'period_start',
            dimensions={'segment': 'segment'},
            numerator='case when is_retained then 0 else 1 end',
            denominator='1',
        ) }}
    from retention_base

),

-- The orders themselves only fix the first and last period of retention and churn.
retention_bounding_events as (

    select
        {{ kpi_event(
            'sales.customer_retention', 'ordered_on', is_population='false'
        ) }}
    from orders

    union all

    select
        {{ kpi_event(
            'sales.churn_rate', 'ordered_on', is_population='false'
        ) }}
    from orders

),

-- The events summed per day: everything below reads these rows (computed where read, not kept).
event_days as {{ inlined_cte() }} (

    {{ kpi_event_days(['events', 'retention_bounding_events']) }}

),

event_months as (

    {{ kpi_event_months(['event_days']) }}

),

bounds as (

    {{ kpi_bounds('event_months') }}

),

-- What this run computes again (macros/incremental_marts.sql).
input_checksums as (

    {{ kpi_input_checksums({
        'event_months': 'month_start',
        'retention_period_events': 'period_start',
    }, 'sales') }}

),

rebuild as {{ materialized_cte() }} (

    {{ kpi_rebuild_months('input_checksums', 'bounds', 'sales') }}

),

period_events as (

    {{ explode_to_periods('event_days', 'rebuild') }}

    union all

    select * from retention_period_events
    where {{ kpi_is_rebuilt('period_start', 'rebuild', 'month_end') }}

),

cells as (

    {{ aggregate_kpi_cells('period_events', ['sales_cycle_events'], 'rebuild') }}

),

final as (

    {{ finalize_kpi_cells('cells', 'bounds', 'sales', 'rebuild') }}

)

{{ kpi_mart_rows('final', 'rebuild', 'input_checksums') }}
