-- One event hour of one day: with year, month, day and hour fixed, Athena reads a single
-- partition folder instead of the whole table, which is what makes it cheap ($5 per TB scanned).
SELECT status, count(*) AS readings, avg(temperature_c) AS avg_temperature_c
FROM raw_telemetry
WHERE year = '2026' AND month = '03' AND day = '07' AND hour = '09'
GROUP BY status
ORDER BY status
