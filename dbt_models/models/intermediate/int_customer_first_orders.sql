-- The first order ever placed by each customer (earliest ordered_at, then order_id): the
-- customer is a new customer in the period of that order.

with

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

final as (

    select
        customer_id,
        order_id as first_order_id,
        ordered_at as first_ordered_at,
        ordered_on as first_ordered_on
    from orders
    qualify
        row_number() over (
            partition by customer_id order by ordered_at, order_id
        ) = 1

)

select * from final
