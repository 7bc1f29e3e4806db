-- The campaign each customer's revenue is attributed to: the campaign of the customer's earliest
-- converted lead (by converted_at, then lead_id), whenever that lead converted. Customers whose
-- earliest converted lead has no campaign are kept with an empty campaign_id.

with

leads as (

    select * from {{ ref('stg_marketing__leads') }}

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

earliest_converted_leads as (

    select
        converted_customer_id as customer_id,
        lead_id,
        converted_at,
        campaign_id
    from leads
    where converted_customer_id is not null
        and converted_at is not null
    qualify
        row_number() over (
            partition by converted_customer_id order by converted_at, lead_id
        ) = 1

),

final as (

    select
        earliest_converted_leads.customer_id,
        earliest_converted_leads.lead_id as attributed_lead_id,
        earliest_converted_leads.converted_at,
        earliest_converted_leads.campaign_id,
        campaigns.channel as campaign_channel
    from earliest_converted_leads
    left join campaigns
        on earliest_converted_leads.campaign_id = campaigns.campaign_id

)

select * from final
