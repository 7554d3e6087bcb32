-- The newest reading of every device, oldest first: a device at the top has gone quiet.
SELECT device_id, max(ts) AS last_reading, count(*) AS readings
FROM raw_telemetry
GROUP BY device_id
ORDER BY last_reading, device_id
