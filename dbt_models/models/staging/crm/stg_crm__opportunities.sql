with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

latest as (

    select * from source
    {{ latest_version(['opportunity_id']) }}

),

final as (

    select
        opportunity_id,
        customer_id,
        salesperson_id,
        channel,
        region,
        first_contact_at,
        {{ local_date('first_contact_at') }} as first_contact_on,
        quote_sent_at,
        {{ local_date('quote_sent_at') }} as quote_sent_on,
        closed_at,
        {{ local_date('closed_at') }} as closed_on,
        status,
        quoted_amount,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
