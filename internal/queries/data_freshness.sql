-- The newest reading of every device this calendar year and last, oldest first: a device at the
-- top has gone quiet. The year filter keeps Athena to two years of projected partitions. Without
-- it, Athena would enumerate every hour the table projects (2000 to 2099), each an S3 listing.
SELECT device_id, max(ts) AS last_reading, count(*) AS readings
FROM raw_telemetry
WHERE year IN (CAST(year(current_date) AS varchar), CAST(year(current_date) - 1 AS varchar))
GROUP BY device_id
ORDER BY last_reading, device_id
