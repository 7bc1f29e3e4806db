{% macro source_event_times() %}
    {#-
        One row per contract table (`<source>.<table>`): whether it has event columns and the
        newest event time of its raw rows, a date counting from its local midnight. The event
        columns are the timestamps (`instants`) and dates (`dates`) that say when something
        happened, as dagster_project/ingest/contract.py marks them (is_event);
        tests/test_dbt_project.py keeps the two equal. Lookup tables have none.
    -#}
    {%- set tables = {
        'crm.customers': {'source': 'crm', 'table': 'customers', 'instants': ['created_at'], 'dates': []},
        'crm.products': {'source': 'crm', 'table': 'products', 'instants': [], 'dates': []},
        'crm.salespeople': {'source': 'crm', 'table': 'salespeople', 'instants': [], 'dates': []},
        'crm.opportunities': {'source': 'crm', 'table': 'opportunities', 'instants': ['first_contact_at', 'quote_sent_at', 'closed_at'], 'dates': []},
        'crm.orders': {'source': 'crm', 'table': 'orders', 'instants': ['ordered_at'], 'dates': []},
        'crm.order_lines': {'source': 'crm', 'table': 'order_lines', 'instants': [], 'dates': []},
        'finance.budgets': {'source': 'finance', 'table': 'budgets', 'instants': [], 'dates': []},
        'web.sessions': {'source': 'web', 'table': 'sessions', 'instants': ['started_at'], 'dates': []},
        'marketing.campaigns': {'source': 'marketing', 'table': 'campaigns', 'instants': [], 'dates': ['started_on']},
        'marketing.ad_spend': {'source': 'marketing', 'table': 'ad_spend', 'instants': [], 'dates': ['spend_date']},
        'marketing.leads': {'source': 'marketing', 'table': 'leads', 'instants': ['created_at', 'converted_at'], 'dates': []},
        'marketing.social_posts': {'source': 'marketing', 'table': 'social_posts', 'instants': ['published_at'], 'dates': []},
        'hr.employees': {'source': 'hr', 'table': 'employees', 'instants': [], 'dates': ['hired_on', 'terminated_on']},
        'hr.absences': {'source': 'hr', 'table': 'absences', 'instants': [], 'dates': ['absence_date']},
        'hr.requisitions': {'source': 'hr', 'table': 'requisitions', 'instants': [], 'dates': ['opened_on', 'filled_on']},
        'hr.survey_responses': {'source': 'hr', 'table': 'survey_responses', 'instants': [], 'dates': ['submitted_on']},
        'mes.machines': {'source': 'mes', 'table': 'machines', 'instants': [], 'dates': []},
        'mes.production_runs': {'source': 'mes', 'table': 'production_runs', 'instants': [], 'dates': ['shift_date']},
        'mes.material_usage': {'source': 'mes', 'table': 'material_usage', 'instants': [], 'dates': ['usage_date']},
        'mes.shipments': {'source': 'mes', 'table': 'shipments', 'instants': ['shipped_at', 'delivered_at'], 'dates': []},
        'helpdesk.tickets': {'source': 'helpdesk', 'table': 'tickets', 'instants': ['created_at', 'first_response_at', 'resolved_at'], 'dates': []},
        'helpdesk.csat_surveys': {'source': 'helpdesk', 'table': 'csat_surveys', 'instants': ['surveyed_at', 'responded_at'], 'dates': []},
        'helpdesk.nps_responses': {'source': 'helpdesk', 'table': 'nps_responses', 'instants': ['responded_at'], 'dates': []},
    } -%}
    {%- for source_table, columns in tables.items() %}
        {%- set maxima = [] -%}
        {%- for column in columns.instants -%}
            {%- do maxima.append('max(' ~ column ~ ')') -%}
        {%- endfor -%}
        {%- for column in columns.dates -%}
            {%- do maxima.append(local_instant('cast(max(' ~ column ~ ') as timestamp)')) -%}
        {%- endfor %}
    select
        '{{ source_table }}' as source_table,
        {{ 'true' if maxima else 'false' }} as has_events,
        {% if maxima -%}
            {#- Spark's greatest() needs two arguments or more. -#}
            cast(
                {{ maxima[0] if maxima | length == 1 else 'greatest(' ~ maxima | join(', ') ~ ')' }}
                as {{ type_instant() }}
            )
        {%- else -%}
            cast(null as {{ type_instant() }})
        {%- endif %} as newest_event_at
    from {{ source(columns.source, columns.table) }}
        {%- if not loop.last %}
    union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
