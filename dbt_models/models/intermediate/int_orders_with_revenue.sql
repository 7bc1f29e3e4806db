-- One row per order with its revenue (sum of its lines after discount; 0 for an order without
-- lines, which still counts as an order).

with

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_with_revenue') }}

),

order_revenue as (

    select
        order_id,
        sum(revenue_dkk) as revenue_dkk,
        count(*) as line_count
    from order_lines
    group by order_id

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.region,
        orders.channel,
        orders.ordered_at,
        orders.ordered_on,
        orders.promised_delivery_date,
        coalesce(order_revenue.revenue_dkk, 0) as revenue_dkk,
        coalesce(order_revenue.line_count, 0) as line_count
    from orders
    left join order_revenue
        on orders.order_id = order_revenue.order_id

)

select * from final
