-- The catalog as analysts read it beside the values (published as kpi_catalog): one row per
-- KPI in catalog order, with its definition version and the guardrail pairs it is part of.

with

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

pairs as (

    select * from {{ ref('stg_catalog__guardrail_pairs') }}

),

guardrails_of as (

    select
        headline_kpi_id as kpi_id,
        {{ ordered_string_agg('guardrail_kpi_id', "', '", 'guardrail_kpi_id') }} as guardrail_kpi_ids
    from pairs
    group by headline_kpi_id

),

guarded_by as (

    select
        guardrail_kpi_id as kpi_id,
        {{ ordered_string_agg('headline_kpi_id', "', '", 'headline_kpi_id') }} as guards_kpi_ids
    from pairs
    group by guardrail_kpi_id

),

final as (

    select
        kpis.catalog_order,
        kpis.kpi_id,
        kpis.function_name as function,
        kpis.kpi_role,
        kpis.parent_kpi_id,
        kpis.name_da,
        kpis.name_en,
        kpis.question_da,
        kpis.question_en,
        kpis.definition_da,
        kpis.definition_en,
        kpis.unit,
        kpis.direction,
        kpis.owner,
        kpis.refresh_cadence,
        kpis.freshness_limit_hours,
        {{ list_to_text('kpis.grains', "', '") }} as grains,
        {{ list_to_text('kpis.dimensions', "', '") }} as dimensions,
        kpis.is_additive,
        {{ list_to_text('kpis.sources', "', '") }} as sources,
        kpis.target_type,
        kpis.target_value,
        kpis.definition_version,
        guardrails_of.guardrail_kpi_ids,
        guarded_by.guards_kpi_ids
    from kpis
    left join guardrails_of
        on kpis.kpi_id = guardrails_of.kpi_id
    left join guarded_by
        on kpis.kpi_id = guarded_by.kpi_id

)

select * from final
