-- Every KPI value of the platform in one long table: one row per KPI, grain, period and
-- dimension value (dimension 'total' / 'total' for the whole). HR values arrive already
-- suppressed for privacy. Only KPIs, grains and dimensions the catalog lists are kept.

with

sales as (

    select * from {{ ref('fct_sales_kpis') }}

),

marketing as (

    select * from {{ ref('fct_marketing_kpis') }}

),

hr as (

    select * from {{ ref('fct_hr_kpis') }}

),

production as (

    select * from {{ ref('fct_production_kpis') }}

),

customer_service as (

    select * from {{ ref('fct_cs_kpis') }}

),

catalog_kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

function_values as (

    select * from sales
    union all
    select * from marketing
    union all
    select * from hr
    union all
    select * from production
    union all
    select * from customer_service

),

final as (

    select
        {{ kpi_published_columns('function_values') }},
        catalog_kpis.definition_version,
        {{ as_of_date() }} as as_of_date
    from function_values
    inner join catalog_kpis
        on function_values.kpi_id = catalog_kpis.kpi_id
        and {{ list_has('catalog_kpis.grains', 'function_values.grain') }}
        and (
            function_values.dimension_name = 'total'
            or {{ list_has('catalog_kpis.dimensions', 'function_values.dimension_name') }}
        )

)

select * from final
