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

leads as {{ inlined_cte() }} (

    select * from {{ ref('stg_marketing__leads') }}

),

sessions as {{ inlined_cte() }} (

    select * from {{ ref('stg_web__sessions') }}

),

ad_spend as {{ inlined_cte() }} (

    select * from {{ ref('stg_marketing__ad_spend') }}

),

campaigns as {{ inlined_cte() }} (

    select * from {{ ref('stg_marketing__campaigns') }}

),

social_posts as {{ inlined_cte() }} (

    select * from {{ ref('stg_marketing__social_posts') }}

),

orders as {{ inlined_cte() }} (

    select * from {{ ref('int_orders_with_revenue') }}

),

first_orders as {{ inlined_cte() }} (

    select * from {{ ref('int_customer_first_orders') }}

),

attribution as {{ inlined_cte() }} (

    select * from {{ ref('int_customer_campaign_attribution') }}

),

periods as {{ inlined_cte() }} (

    select * from {{ ref('int_periods') }}

),

-- marketing.leads: leads created in P.
leads_events as (

    select
        {{ kpi_event(
            'marketing.leads',
            'created_on',
            dimensions={'channel': 'channel', 'campaign': 'campaign_id'},
            numerator='1',
        ) }}
    from leads

),

-- marketing.visit_to_lead_rate: leads created in P with a session / sessions started in P.
-- Both sides use the session's channel (a lead whose session is not loaded counts in the
-- total only).
visit_to_lead_events as (

    select
        {{ kpi_event(
            'marketing.visit_to_lead_rate',
            'started_on',
            dimensions={'channel': 'channel'},
            denominator='1',
        ) }}
    from sessions

    union all

    select
        {{ kpi_event(
            'marketing.visit_to_lead_rate',
            'leads.created_on',
            dimensions={'channel': 'sessions.channel'},
            numerator='1',
            is_population='false',
        ) }}
    from leads
    left join sessions
        on leads.session_id = sessions.session_id
    where leads.session_id is not null

),

-- marketing.lead_to_customer_rate: leads created in P converted within 90 × 86400 seconds /
-- leads created in P (provisional while period_end + 90 days is after the as-of date).
lead_to_customer_events as (

    select
        {{ kpi_event(
            'marketing.lead_to_customer_rate',
            'created_on',
            dimensions={'channel': 'channel', 'campaign': 'campaign_id'},
            numerator='case when converted_at is not null and '
                ~ elapsed_seconds('created_at', 'converted_at')
                ~ ' <= 90 * 86400 then 1 else 0 end',
            denominator='1',
        ) }}
    from leads

),

-- marketing.cac: ad spend in P / customers whose first order was placed in P.
cac_events as (

    select
        {{ kpi_event(
            'marketing.cac', 'spend_date', numerator='spend', is_population='false'
        ) }}
    from ad_spend

    union all

    select
        {{ kpi_event('marketing.cac', 'first_ordered_on', denominator='1') }}
    from first_orders

),

-- marketing.roas: revenue of orders placed in P by customers attributed to a campaign / ad
-- spend in P. The campaign and its channel slice both sides.
roas_events as (

    select
        {{ kpi_event(
            'marketing.roas',
            'ad_spend.spend_date',
            dimensions={'campaign': 'ad_spend.campaign_id', 'channel': 'campaigns.channel'},
            denominator='ad_spend.spend',
        ) }}
    from ad_spend
    left join campaigns
        on ad_spend.campaign_id = campaigns.campaign_id

    union all

    select
        {{ kpi_event(
            'marketing.roas',
            'orders.ordered_on',
            dimensions={
                'campaign': 'attribution.campaign_id',
                'channel': 'attribution.campaign_channel',
            },
            numerator='orders.revenue_dkk',
            is_population='false',
        ) }}
    from orders
    inner join attribution
        on orders.customer_id = attribution.customer_id
    where attribution.campaign_id is not null

),

-- marketing.engagement_rate: (likes + shares + comments) / impressions of posts published in P.
engagement_events as (

    select
        {{ kpi_event(
            'marketing.engagement_rate',
            'published_on',
            dimensions={'platform': 'platform'},
            numerator='likes + shares + comments',
            denominator='impressions',
        ) }}
    from social_posts

),

-- marketing.avg_engaged_seconds: mean engaged_seconds of sessions started in P.
engaged_seconds_events as (

    select
        {{ kpi_event(
            'marketing.avg_engaged_seconds',
            'started_on',
            dimensions={'channel': 'channel'},
            numerator='engaged_seconds',
            denominator='1',
        ) }}
    from sessions

),

events as (

    select * from leads_events
    union all
    select * from visit_to_lead_events
    union all
    select * from lead_to_customer_events
    union all
    select * from cac_events
    union all
    select * from roas_events
    union all
    select * from engagement_events
    union all
    select * from engaged_seconds_events

),

-- marketing.ltv_to_cac (month): (revenue of the 12 months ending with P / customers with an
-- order in those 12 months) / CAC of P. Stored as numerator = that LTV, denominator = CAC.
order_months as (

    select
        cast({{ dbt.date_trunc('month', 'ordered_on') }} as date) as month_start,
        customer_id,
        revenue_dkk
    from orders

),

ltv_to_cac_bounding_events as (

    select
        {{ kpi_event('marketing.ltv_to_cac', 'ordered_on', is_population='false') }}
    from orders

    union all

    select
        {{ kpi_event('marketing.ltv_to_cac', 'spend_date', is_population='false') }}
    from ad_spend

),

-- The events summed per day: everything below reads these rows (computed where read, not kept).
event_days as {{ inlined_cte() }} (

    {{ kpi_event_days(['events']) }}

),

ltv_to_cac_bounding_days as (

    {{ kpi_event_days(['ltv_to_cac_bounding_events']) }}

),

event_months as (

    {{ kpi_event_months(['event_days', 'ltv_to_cac_bounding_days']) }}

),

bounds as (

    {{ kpi_bounds('event_months') }}

),

-- What this run computes again (macros/incremental_marts.sql).
input_checksums as (

    {{ kpi_input_checksums({
        'event_months': 'month_start',
        'order_months': 'month_start',
    }, 'marketing') }}

),

rebuild as {{ materialized_cte() }} (

    {{ kpi_rebuild_months('input_checksums', 'bounds', 'marketing', look_ahead_months=11) }}

),

period_events as (

    {{ explode_to_periods('event_days', 'rebuild') }}

),

ltv_windows as (

    select
        periods.period_start,
        sum(order_months.revenue_dkk) as revenue_12_months_dkk,
        count(distinct order_months.customer_id) as customers_12_months
    from periods
    inner join order_months
        on order_months.month_start between cast(
            {{ dbt.dateadd('month', -11, 'periods.period_start') }} as date
        ) and periods.period_start
    where periods.grain = 'month'
        and {{ kpi_is_rebuilt('periods.period_start', 'rebuild', 'month_end') }}
    group by periods.period_start

),

cac_by_month as (

    select
        period_start,
        coalesce(sum(numerator), 0) as spend_dkk,
        coalesce(sum(denominator), 0) as new_customers
    from period_events
    where kpi_id = 'marketing.cac'
        and grain = 'month'
    group by period_start

),

ltv_to_cac_cells as (

    select
        'marketing.ltv_to_cac' as kpi_id,
        'month' as grain,
        periods.period_start,
        'total' as dimension_name,
        'total' as dimension_value,
        {{ safe_divide('ltv_windows.revenue_12_months_dkk', 'ltv_windows.customers_12_months') }}
            as numerator,
        {{ safe_divide('cac_by_month.spend_dkk', 'cac_by_month.new_customers') }} as denominator,
        cast(null as double) as median_value,
        0 as measure_count,
        coalesce(ltv_windows.customers_12_months, 0) as population_count,
        cast(null as double) as people_count,
        case
            when coalesce(ltv_windows.customers_12_months, 0) = 0
                then 'no customers with an order in the 12 months ending with period'
            when coalesce(cac_by_month.new_customers, 0) = 0
                then 'no new customers in period'
            when cac_by_month.spend_dkk = 0
                then 'no ad spend in period'
        end as null_reason
    from periods
    left join ltv_windows
        on periods.period_start = ltv_windows.period_start
    left join cac_by_month
        on periods.period_start = cac_by_month.period_start
    where periods.grain = 'month'
        and {{ kpi_is_rebuilt('periods.period_start', 'rebuild', 'month_end') }}

),

cells as (

    {{ aggregate_kpi_cells('period_events', [], 'rebuild') }}

    union all

    select * from ltv_to_cac_cells

),

final as (

    {{ finalize_kpi_cells('cells', 'bounds', 'marketing', 'rebuild') }}

)

{{ kpi_mart_rows('final', 'rebuild', 'input_checksums') }}
