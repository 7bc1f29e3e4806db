-- The target of every KPI value (kpis.md, Annotations), one row per row of kpi_values. A
-- constant target applies to every row of a ratio, mean or median and to the total of a count
-- or sum (a count per region has no share of a company target); a per-period target of the
-- catalog to the total row of its grain and period; the revenue budget (latest version of each
-- month and region) to month rows, the total summing every region's budget.

with

kpi_values as (

    select * from {{ ref('kpi_values') }}

),

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

period_targets as (

    select * from {{ ref('stg_catalog__kpi_targets') }}

),

budgets as (

    select * from {{ ref('stg_finance__budgets') }}

),

budget_targets as (

    select
        cast(budget_month as date) as period_start,
        'total' as dimension_name,
        'total' as dimension_value,
        sum(revenue_budget) as target
    from budgets
    group by budget_month

    union all

    select
        cast(budget_month as date) as period_start,
        'region' as dimension_name,
        region as dimension_value,
        revenue_budget as target
    from budgets

),

final as (

    select
        kpi_values.kpi_id,
        kpi_values.grain,
        kpi_values.period_start,
        kpi_values.dimension_name,
        kpi_values.dimension_value,
        kpis.target_type,
        cast(
            case
                when kpis.target_type = 'constant'
                    and (not kpis.is_additive or kpi_values.dimension_name = 'total')
                    then kpis.target_value
                when kpis.target_type = 'per_period' and kpi_values.dimension_name = 'total'
                    then period_targets.target
                when kpis.target_type = 'budget' and kpi_values.grain = 'month'
                    then budget_targets.target
            end
            as double
        ) as target
    from kpi_values
    inner join kpis
        on kpi_values.kpi_id = kpis.kpi_id
    left join period_targets
        on kpi_values.kpi_id = period_targets.kpi_id
        and kpi_values.grain = period_targets.grain
        and kpi_values.period_start = period_targets.period_start
    left join budget_targets
        on kpis.target_type = 'budget'
        and kpi_values.grain = 'month'
        and kpi_values.period_start = budget_targets.period_start
        and kpi_values.dimension_name = budget_targets.dimension_name
        and kpi_values.dimension_value = budget_targets.dimension_value

)

select * from final
