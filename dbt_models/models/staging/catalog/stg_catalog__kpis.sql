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
        unit,
        direction,
        grains,
        dimensions,
        is_additive,
        definition_version
    from source

)

select * from final
