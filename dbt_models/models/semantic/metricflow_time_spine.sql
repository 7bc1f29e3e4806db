-- MetricFlow's time spine: one row per local (Europe/Copenhagen) calendar day of the warehouse,
-- the days of int_calendar_days. metric_time is a model's local date column (created_on,
-- ordered_on, ...), so a MetricFlow day, week or month is the same local period as in the marts.
{{ config(materialized='table') }}

select cast(date_day as date) as date_day
from {{ ref('int_calendar_days') }}
