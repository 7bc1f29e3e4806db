-- Every KPI and grain of the catalog has rows in kpi_values. A warning, not an error: a KPI
-- whose source tables are still empty has no first event and therefore no rows yet.
{{ config(severity='warn') }}

with

catalog_grains as (

    select
        kpi_id,
        {{ unnest_list('grains') }} as grain
    from {{ ref('stg_catalog__kpis') }}

),

published as (

    select distinct
        kpi_id,
        grain
    from {{ ref('kpi_values') }}

)

select catalog_grains.*
from catalog_grains
left join published
    on catalog_grains.kpi_id = published.kpi_id
    and catalog_grains.grain = published.grain
where published.kpi_id is null
