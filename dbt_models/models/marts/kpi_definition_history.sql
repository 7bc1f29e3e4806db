{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}

-- Every definition version each KPI has been computed under, in order: a row is appended when a
-- KPI of kpi_values has a version other than its latest recorded one (kpis.md, definition
-- drift). Appended, never rebuilt: not even a full refresh forgets a version, since the breaks
-- of the published series are read off this history.

with

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

kpi_values as (

    select * from {{ ref('kpi_values') }}

),

current_versions as (

    select
        kpi_id,
        definition_version
    from kpis
    where kpi_id in (select kpi_values.kpi_id from kpi_values)

),

{% if is_incremental() -%}
    latest_recorded as (

        select
            kpi_id,
            definition_version
        from {{ this }}
        qualify row_number() over (partition by kpi_id order by first_computed_at desc) = 1

    ),

    new_versions as (

        select current_versions.*
        from current_versions
        left join latest_recorded
            on current_versions.kpi_id = latest_recorded.kpi_id
        where latest_recorded.definition_version is distinct from current_versions.definition_version

    ),
{%- else -%}
new_versions as (

    select * from current_versions

),
{%- endif %}

final as (

    select
        kpi_id,
        definition_version,
        {{ computed_at() }} as first_computed_at,
        (select max(kpi_values.as_of_date) from kpi_values) as first_as_of
    from new_versions

)

select * from final
