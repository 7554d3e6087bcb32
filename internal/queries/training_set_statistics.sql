-- Rows, positives and positive rate of the XGBoost training and validation sets, with the mean and
-- standard deviation of every standardized feature per split. The scaling is fitted on train, so
-- there every mean is about 0 and every standard deviation about 1, and validation shows the drift.
SELECT split,
       count(*) AS row_count,
       sum(label) AS positives,
       avg(CAST(label AS double)) AS positive_rate,
       avg(temperature_c) AS mean_temperature_c,
       stddev_samp(temperature_c) AS stddev_temperature_c,
       avg(humidity_pct) AS mean_humidity_pct,
       stddev_samp(humidity_pct) AS stddev_humidity_pct,
       avg(log1p_vibration_mm_s) AS mean_log1p_vibration_mm_s,
       stddev_samp(log1p_vibration_mm_s) AS stddev_log1p_vibration_mm_s,
       avg(pressure_kpa) AS mean_pressure_kpa,
       stddev_samp(pressure_kpa) AS stddev_pressure_kpa,
       avg(battery_v) AS mean_battery_v,
       stddev_samp(battery_v) AS stddev_battery_v
FROM training_features
GROUP BY split
ORDER BY split
