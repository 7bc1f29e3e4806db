with

source as (

    select * from {{ source('catalog', 'kpis') }}

),

final as (

    select
        kpi_id,
        function as function_name,
        role as kpi_role,
        parent_kpi_id,
        name_da,
        name_en,
        question_da,
        question_en,
        definition_da,
        definition_en,
        unit,
        direction,
        owner,
        refresh_cadence,
        freshness_limit_hours,
        grains,
        dimensions,
        is_additive,
        sources,
        is_computed_over_people,
        aggregation,
        empty_reason,
        provisional_days,
        sample_kind,
        target_type,
        target_value,
        value_min,
        value_max,
        range_breach,
        complete_breakdowns,
        definition_version,
        catalog_order
    from source

)

select * from final
