{% test value_or_null_reason(model, column_name) %}
    {#- Every row has a value or says why not: a null value always carries a null_reason. -#}
    select *
    from {{ model }}
    where {{ column_name }} is null
        and null_reason is null
{% endtest %}
