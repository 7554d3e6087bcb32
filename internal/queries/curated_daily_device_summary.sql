-- Each device's day over the last seven days of curated telemetry: readings, mean temperature, peak vibration,
-- lowest battery and fault readings. curated_telemetry is an Iceberg table partitioned by the day of ts, so the
-- filter on ts makes Athena read only those days' files.
SELECT date,
       device_id,
       count(*) AS readings,
       avg(temperature_c) AS mean_temperature_c,
       max(vibration_mm_s) AS peak_vibration_mm_s,
       min(battery_v) AS lowest_battery_v,
       count_if(status = 'fault') AS fault_readings
FROM curated_telemetry
WHERE ts >= CAST(current_date - INTERVAL '7' DAY AS timestamp)
GROUP BY date, device_id
ORDER BY date, device_id
