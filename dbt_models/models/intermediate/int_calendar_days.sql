-- One row per local calendar day the KPIs can need: from the first day of the month of the
-- earliest event in the warehouse (or of the as-of date) to the last day of the month of the
-- latest event or the as-of date, whichever is later. Budget months and promised delivery dates
-- are plans, not events, and do not stretch the calendar.

with

event_dates as (

    select
        min(ordered_on) as first_on,
        max(ordered_on) as last_on
    from {{ ref('stg_crm__orders') }}

    union all

    select
        min(first_contact_on) as first_on,
        max(closed_on) as last_on
    from {{ ref('stg_crm__opportunities') }}

    union all

    select
        min(created_on) as first_on,
        max(created_on) as last_on
    from {{ ref('stg_crm__customers') }}

    union all

    select
        min(started_on) as first_on,
        max(started_on) as last_on
    from {{ ref('stg_web__sessions') }}

    union all

    select
        min(spend_date) as first_on,
        max(spend_date) as last_on
    from {{ ref('stg_marketing__ad_spend') }}

    union all

    select
        min(created_on) as first_on,
        max(converted_on) as last_on
    from {{ ref('stg_marketing__leads') }}

    union all

    select
        min(published_on) as first_on,
        max(published_on) as last_on
    from {{ ref('stg_marketing__social_posts') }}

    union all

    select
        min(hired_on) as first_on,
        max(greatest(hired_on, terminated_on)) as last_on
    from {{ ref('stg_hr__employees') }}

    union all

    select
        min(absence_date) as first_on,
        max(absence_date) as last_on
    from {{ ref('stg_hr__absences') }}

    union all

    select
        min(opened_on) as first_on,
        max(greatest(opened_on, filled_on)) as last_on
    from {{ ref('stg_hr__requisitions') }}

    union all

    select
        min(submitted_on) as first_on,
        max(submitted_on) as last_on
    from {{ ref('stg_hr__survey_responses') }}

    union all

    select
        min(shift_date) as first_on,
        max(shift_date) as last_on
    from {{ ref('stg_mes__production_runs') }}

    union all

    select
        min(usage_date) as first_on,
        max(usage_date) as last_on
    from {{ ref('stg_mes__material_usage') }}

    union all

    select
        min(shipped_on) as first_on,
        max(greatest(shipped_on, delivered_on)) as last_on
    from {{ ref('stg_mes__shipments') }}

    union all

    select
        min(created_on) as first_on,
        max(greatest(created_on, resolved_on)) as last_on
    from {{ ref('stg_helpdesk__tickets') }}

    union all

    select
        min(responded_on) as first_on,
        max(responded_on) as last_on
    from {{ ref('stg_helpdesk__csat_surveys') }}

    union all

    select
        min(responded_on) as first_on,
        max(responded_on) as last_on
    from {{ ref('stg_helpdesk__nps_responses') }}

),

event_range as (

    select
        least(coalesce(min(first_on), {{ as_of_date() }}), {{ as_of_date() }}) as first_on,
        greatest(coalesce(max(last_on), {{ as_of_date() }}), {{ as_of_date() }}) as last_on
    from event_dates

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'first_on') }} as date) as first_day,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'last_on'))) }}
            as date
        ) as last_day
    from event_range

),

days as (

    select cast(day_value as date) as date_day
    from (
        select {{ unnest_list(day_sequence('first_day', 'last_day')) }} as day_value
        from bounds
    ) as day_values

),

final as (

    select
        date_day,
        cast({{ iso_day_of_week('date_day') }} as integer) as iso_day_of_week,
        {{ iso_day_of_week('date_day') }} <= 5 as is_workday,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        date_day <= {{ as_of_date() }} as is_on_or_before_as_of
    from days

)

select * from final
