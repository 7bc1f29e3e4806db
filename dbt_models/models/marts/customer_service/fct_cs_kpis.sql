{{
    config(
        materialized=kpi_mart_materialization(),
        incremental_strategy='kpi_periods',
        on_schema_change='append_new_columns',
        pre_hook="{{ engine_threads(1) }}",
        post_hook="{{ engine_threads() }}",
    )
}}

-- Incremental on DuckDB: a run computes again only the periods of the months whose inputs
-- changed (macros/incremental_marts.sql); rebuilt_months, built_as_of and inputs_checksum record
-- that. On Spark a table, built whole.
--
-- One DuckDB thread: the medians of first response minutes hold every answered ticket's value
-- (about 11 million at scale 100, three grains, three breakdowns); computed by two threads
-- beside the rest of the mart, DuckDB spilled them to more than 20 GB of temporary files and
-- failed. With one the mart takes 35-53 s at scale 100, and about 1 s more than with two at
-- scale 10.

with

tickets as {{ inlined_cte() }} (

    select * from {{ ref('stg_helpdesk__tickets') }}

),

csat_surveys as {{ inlined_cte() }} (

    select * from {{ ref('stg_helpdesk__csat_surveys') }}

),

nps_responses as {{ inlined_cte() }} (

    select * from {{ ref('stg_helpdesk__nps_responses') }}

),

customers as {{ inlined_cte() }} (

    select * from {{ ref('stg_crm__customers') }}

),

periods as {{ inlined_cte() }} (

    select * from {{ ref('int_periods') }}

),

resolved_tickets as {{ inlined_cte() }} (

    select * from {{ ref('int_tickets_resolved') }}

),

-- cs.first_response_minutes: median elapsed minutes from created_at to first_response_at of
-- tickets created in P that have a response.
first_response_events as {{ inlined_cte() }} (

    select
        {{ kpi_event(
            'cs.first_response_minutes',
            'created_on',
            dimensions={'channel': 'channel', 'category': 'category'},
            measure=elapsed_seconds('created_at', 'first_response_at') ~ ' / 60.0',
        ) }}
    from tickets
    where first_response_at is not null

),

-- cs.response_within_4h: created in P and answered within 240 minutes / all created in P.
response_within_4h_events as (

    select
        {{ kpi_event(
            'cs.response_within_4h',
            'created_on',
            dimensions={'channel': 'channel', 'category': 'category'},
            numerator='case when first_response_at is not null and '
                ~ elapsed_seconds('created_at', 'first_response_at')
                ~ ' <= 240 * 60 then 1 else 0 end',
            denominator='1',
        ) }}
    from tickets

),

-- cs.first_contact_resolution: resolved in P with one contact and never reopened / resolved in P.
first_contact_resolution_events as (

    select
        {{ kpi_event(
            'cs.first_contact_resolution',
            'resolved_on',
            dimensions={'channel': 'channel', 'category': 'category'},
            numerator='case when is_first_contact_resolution then 1 else 0 end',
            denominator='1',
        ) }}
    from resolved_tickets

),

-- cs.nps: 100 × (promoters 9–10 − detractors 0–6) / responses in P; the numerator carries the
-- factor 100, so value = numerator / denominator.
nps_events as (

    select
        {{ kpi_event(
            'cs.nps',
            'responded_on',
            numerator='case when score >= 9 then 100 when score <= 6 then -100 else 0 end',
            denominator='1',
        ) }}
    from nps_responses

),

-- cs.csat: surveys answered in P with score >= 4 / surveys answered in P (channel of the ticket).
csat_events as (

    select
        {{ kpi_event(
            'cs.csat',
            'csat_surveys.responded_on',
            dimensions={'channel': 'tickets.channel'},
            numerator='case when csat_surveys.score >= 4 then 1 else 0 end',
            denominator='1',
        ) }}
    from csat_surveys
    left join tickets
        on csat_surveys.ticket_id = tickets.ticket_id
    where csat_surveys.responded_at is not null

),

-- cs.contact_volume: tickets created in P.
contact_volume_events as (

    select
        {{ kpi_event(
            'cs.contact_volume',
            'created_on',
            dimensions={'channel': 'channel', 'category': 'category'},
            numerator='1',
        ) }}
    from tickets

),

-- cs.contacts_per_1000_customers: 1000 × tickets created in P / customers created on or before
-- the last day of P (the numerator carries the factor 1000; sample_size counts the tickets).
contacts_per_1000_events as (

    select
        {{ kpi_event(
            'cs.contacts_per_1000_customers',
            'created_on',
            numerator='1000',
        ) }}
    from tickets

),

customers_by_day as (

    select
        created_on,
        count(*) as customers_created
    from customers
    group by created_on

),

contacts_per_1000_period_events as (

    select
        {{ kpi_period_event(
            'cs.contacts_per_1000_customers',
            'periods.grain',
            'periods.period_start',
            denominator='coalesce(sum(customers_by_day.customers_created), 0)',
            is_population='false',
        ) }}
    from periods
    left join customers_by_day
        on periods.period_end >= customers_by_day.created_on
    group by periods.grain, periods.period_start

),

-- The guardrails on resolved and created tickets.
reopen_events as (

    select
        {{ kpi_event(
            'cs.reopen_rate',
            'resolved_on',
            dimensions={'channel': 'channel'},
            numerator='case when reopened_count > 0 then 1 else 0 end',
            denominator='1',
        ) }}
    from resolved_tickets

),

repeat_contact_events as (

    select
        {{ kpi_event(
            'cs.repeat_contact_rate',
            'resolved_on',
            dimensions={'channel': 'channel'},
            numerator='case when contacts_count > 1 then 1 else 0 end',
            denominator='1',
        ) }}
    from resolved_tickets

),

split_ticket_events as (

    select
        {{ kpi_event(
            'cs.split_ticket_share',
            'created_on',
            dimensions={'channel': 'channel'},
            numerator='case when parent_ticket_id is not null then 1 else 0 end',
            denominator='1',
        ) }}
    from tickets

),

csat_coverage_events as (

    select
        {{ kpi_event(
            'cs.csat_survey_coverage',
            'resolved_on',
            dimensions={'channel': 'channel'},
            numerator='case when has_csat_survey then 1 else 0 end',
            denominator='1',
        ) }}
    from resolved_tickets

),

events as (

    select * from first_response_events
    union all
    select * from response_within_4h_events
    union all
    select * from first_contact_resolution_events
    union all
    select * from nps_events
    union all
    select * from csat_events
    union all
    select * from contact_volume_events
    union all
    select * from contacts_per_1000_events
    union all
    select * from reopen_events
    union all
    select * from repeat_contact_events
    union all
    select * from split_ticket_events
    union all
    select * from csat_coverage_events

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

    {{ kpi_input_checksums({
        'event_months': 'month_start',
        'contacts_per_1000_period_events': 'period_start',
    }, 'customer_service') }}

),

rebuild as {{ materialized_cte() }} (

    {{ kpi_rebuild_months('input_checksums', 'bounds', 'customer_service') }}

),

period_events as (

    {{ explode_to_periods('event_days', 'rebuild') }}

    union all

    select * from contacts_per_1000_period_events
    where {{ kpi_is_rebuilt('period_start', 'rebuild', 'month_end') }}

),

cells as (

    {{ aggregate_kpi_cells('period_events', ['first_response_events'], 'rebuild') }}

),

final as (

    {{ finalize_kpi_cells('cells', 'bounds', 'customer_service', 'rebuild') }}

)

{{ kpi_mart_rows('final', 'rebuild', 'input_checksums') }}
