-- The stream detector's anomalies of the last seven days, newest first: device, reading time, the
-- detector that scored highest, the score (1 is the alert level) and the field that drove it most. The
-- year filter keeps Athena to two years of projected partitions.
SELECT device_id, ts, detector, round(score, 2) AS score, fields[1] AS top_field, shard
FROM detected_anomalies
WHERE year IN (CAST(year(current_date) AS varchar), CAST(year(current_date) - 1 AS varchar))
  AND ts >= current_date - INTERVAL '7' DAY
ORDER BY ts DESC
LIMIT 1000
