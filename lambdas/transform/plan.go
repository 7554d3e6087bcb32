package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/refdatalake/datalake/internal/schema"
)

// plan is a schema.Record prepared for the per-record loop: lookups, output
// key prefixes and the partitioning field are worked out once, so converting a
// record only indexes slices. Every field name, type and bound the function
// checks comes from the record it was built from.
type plan struct {
	fields []schema.Field
	// inputs are the indexes into fields of the input fields, in CSV column order.
	inputs []int
	// byName maps an input field's name to its index in fields.
	byName map[string]int
	// timeField is the index of the field partitions come from.
	timeField int
	// extras is the index of schema.ExtrasColumn, or -1 when the record has
	// none; unknown JSON members then fail rather than being lost silently.
	extras int
	// keyPrefix[i] is the output text before field i's value: {"name": or ,"name":
	keyPrefix [][]byte
	// fixedOutput is the length of an output line without its values, for
	// sizing the batch arena.
	fixedOutput int
}

// defaultPlan is the plan of the telemetry record. A schema this function
// cannot serve is a build-time mistake, so it stops the process at start
// rather than failing every record.
var defaultPlan = mustPlan(schema.Telemetry)

func mustPlan(r schema.Record) *plan {
	p, err := newPlan(r)
	if err != nil {
		panic(err)
	}
	return p
}

// newPlan prepares r. The partitioning field is the first Timestamp field; it
// must be required, since a record without it would have no partition.
func newPlan(r schema.Record) (*plan, error) {
	p := &plan{fields: r.Fields, byName: map[string]int{}, timeField: -1, extras: -1}
	if len(schema.PartitionKeys) != len(schema.PartitionValues(time.Time{})) {
		return nil, errors.New("plan: schema.PartitionKeys and schema.PartitionValues disagree in length")
	}
	for i, f := range r.Fields {
		switch f.Type {
		case schema.String, schema.Double, schema.Timestamp:
		default:
			return nil, fmt.Errorf("plan %s: field %s has type %q, which the transform cannot emit", r.Name, f.Name, f.Type)
		}
		if _, dup := p.byName[f.Name]; dup || (f.Name == schema.ExtrasColumn && p.extras >= 0) {
			return nil, fmt.Errorf("plan %s: field %s declared twice", r.Name, f.Name)
		}
		if f.Name == schema.ExtrasColumn {
			if f.Type != schema.String || f.Required {
				return nil, fmt.Errorf("plan %s: %s must be an optional string", r.Name, f.Name)
			}
			p.extras = i
		} else {
			p.inputs = append(p.inputs, i)
			p.byName[f.Name] = i
		}
		if f.Type == schema.Timestamp && p.timeField < 0 {
			if !f.Required {
				return nil, fmt.Errorf("plan %s: partitioning field %s must be required", r.Name, f.Name)
			}
			p.timeField = i
		}
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		prefix := appendJSONString([]byte{sep}, []byte(f.Name))
		prefix = append(prefix, ':')
		p.keyPrefix = append(p.keyPrefix, prefix)
		p.fixedOutput += len(prefix)
	}
	if p.timeField < 0 {
		return nil, fmt.Errorf("plan %s: no timestamp field to partition by", r.Name)
	}
	p.fixedOutput += len("}\n")
	return p, nil
}
