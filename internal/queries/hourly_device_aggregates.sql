-- Readings per device and event hour with averages and extremes.
-- Reads only the partitions of one month (partition projection prunes the rest).
SELECT device_id, year, month, day, hour,
       count(*) AS readings,
       avg(temperature_c) AS avg_temperature_c,
       max(vibration_mm_s) AS max_vibration_mm_s,
       min(battery_v) AS min_battery_v
FROM raw_telemetry
WHERE year = '2026' AND month = '03'
GROUP BY device_id, year, month, day, hour
ORDER BY device_id, year, month, day, hour
