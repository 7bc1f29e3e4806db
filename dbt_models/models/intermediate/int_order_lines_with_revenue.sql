-- Order lines with the revenue they contribute and the attributes KPIs slice them by: the
-- order's customer, region, channel and time, and the product's category. Lines whose order is
-- not loaded (yet) have no ordered_at and cannot be placed in a period: they are left out here
-- and reported by the relationships test of stg_crm__order_lines.

with

order_lines as (

    select * from {{ ref('stg_crm__order_lines') }}

),

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

products as (

    select * from {{ ref('stg_crm__products') }}

),

final as (

    select
        order_lines.order_id,
        order_lines.line_number,
        order_lines.product_id,
        products.category as product_category,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount_pct,
        order_lines.quantity * order_lines.unit_price * (1 - order_lines.discount_pct)
            as revenue_dkk,
        orders.customer_id,
        orders.region,
        orders.channel,
        orders.ordered_at,
        orders.ordered_on
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    left join products
        on order_lines.product_id = products.product_id

)

select * from final
