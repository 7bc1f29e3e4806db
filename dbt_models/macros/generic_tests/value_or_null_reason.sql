{% test value_or_null_reason(model, column_name) %}
    {#- Every row has a value or says why not, never both: a null value carries a null_reason and
        a present value none. -#}
    select *
    from {{ model }}
    where ({{ column_name }} is null) <> (null_reason is not null)
{% endtest %}
