// Package samples checks the sample landing files under glue/samples/landing:
// device metadata (CSV with a header row) and maintenance events (JSON lines),
// which scripts/landing uploads to the raw bucket's landing/ prefix and the
// Glue crawlers catalogue as landing_devices and landing_maintenance. The
// files are data, not code; the tests keep them consistent with the schema,
// the generator's devices and the curate job's expected columns.
package samples

// Dir is the sample landing tree, relative to the repository root.
const Dir = "glue/samples/landing"

// DeviceColumns are the device metadata CSV's header columns, in order. They
// match DEVICE_COLUMNS in glue/lake_jobs/curate.py, which the curate job
// requires of whatever the devices CSV holds.
var DeviceColumns = []string{"device_id", "site", "model", "install_date", "location", "lat", "lon"}

// MaintenanceKinds are the kinds of maintenance event.
var MaintenanceKinds = []string{"inspection", "battery_replacement", "repair", "firmware_update"}

// MaintenanceFields are the members of every maintenance event, in order.
var MaintenanceFields = []string{"device_id", "event_time", "kind", "technician", "duration_min", "notes"}
