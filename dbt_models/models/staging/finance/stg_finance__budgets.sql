with

source as (

    select * from {{ source('finance', 'budgets') }}

),

latest as (

    select * from source
    {{ latest_version(['month', 'region']) }}

),

final as (

    select
        month as budget_month,
        region,
        revenue_budget,
        _file_id,
        _source_line,
        _source_file,
        _ingested_at
    from latest

)

select * from final
