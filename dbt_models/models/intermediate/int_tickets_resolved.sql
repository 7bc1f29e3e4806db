-- Resolved tickets with what the resolved-ticket KPIs and the CSAT selection-bias check ask of
-- them. First contact resolution is defined here once: fct_cs_kpis counts it, and kpi_flags
-- compares it between surveyed and not surveyed tickets.

with

tickets as (

    select * from {{ ref('stg_helpdesk__tickets') }}

),

csat_surveys as (

    select * from {{ ref('stg_helpdesk__csat_surveys') }}

),

final as (

    select
        tickets.*,
        csat_surveys.ticket_id is not null as has_csat_survey,
        tickets.contacts_count = 1 and tickets.reopened_count = 0 as is_first_contact_resolution
    from tickets
    left join csat_surveys
        on tickets.ticket_id = csat_surveys.ticket_id
    where tickets.resolved_at is not null

)

select * from final
