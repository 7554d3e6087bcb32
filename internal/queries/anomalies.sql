-- Readings whose vibration is more than three standard deviations from the device's
-- mean over the same month, or that the device itself reported as warn or fault.
WITH stats AS (
  SELECT device_id, avg(vibration_mm_s) AS mean_v, stddev_samp(vibration_mm_s) AS sd_v
  FROM raw_telemetry
  WHERE year = '2026' AND month = '03'
  GROUP BY device_id
)
SELECT t.device_id, t.ts, t.status, t.vibration_mm_s,
       (t.vibration_mm_s - s.mean_v) / s.sd_v AS vibration_z
FROM raw_telemetry t
JOIN stats s ON t.device_id = s.device_id
WHERE t.year = '2026' AND t.month = '03'
  AND ((s.sd_v > 0 AND abs(t.vibration_mm_s - s.mean_v) > 3 * s.sd_v) OR t.status IN ('warn', 'fault'))
ORDER BY t.device_id, t.ts
