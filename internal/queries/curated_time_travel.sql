-- Readings per day of the last seven days, now and as curated_telemetry was a day ago (Iceberg time travel): a day
-- whose count changed got late readings, or corrections merged into it since. The table must be older than a day
-- (and the snapshot of a day ago not yet expired: icebergSnapshotRetentionDays).
WITH now_ AS (
    SELECT date, count(*) AS readings
    FROM curated_telemetry
    WHERE ts >= CAST(current_date - INTERVAL '7' DAY AS timestamp)
    GROUP BY date
), day_ago AS (
    SELECT date, count(*) AS readings
    FROM curated_telemetry FOR TIMESTAMP AS OF (current_timestamp - INTERVAL '1' DAY)
    WHERE ts >= CAST(current_date - INTERVAL '7' DAY AS timestamp)
    GROUP BY date
)
SELECT n.date,
       n.readings AS readings_now,
       coalesce(d.readings, 0) AS readings_a_day_ago,
       n.readings - coalesce(d.readings, 0) AS readings_added
FROM now_ n
LEFT JOIN day_ago d ON n.date = d.date
ORDER BY n.date
