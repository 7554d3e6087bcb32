package main

import (
	"encoding/binary"
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
	// types[i] is fields[i].Type as a small integer, so the per-cell switch
	// does not compare type names as strings.
	types []fieldType
	// checkString[i] and checkNumber[i] are fields[i]'s schema checks, bound
	// once: calling the methods through fields[i] copies the whole Field
	// (they have value receivers) on every cell.
	checkString []func(string) error
	checkNumber []func(float64) error
	// minNum[i] and maxNum[i] are fields[i].Min and Max. A number inside
	// them passes CheckNumber (TestNumberBoundsAgreeWithCheckNumber), so
	// only the others pay for the call, which copies the Field.
	minNum, maxNum []float64
	// inputs are the indexes into fields of the input fields, in CSV column order.
	inputs []int
	// byName maps an input field's name to its index in fields.
	byName map[string]int
	// timeField is the index of the field partitions come from.
	timeField int
	// extras is the index of schema.ExtrasColumn, or -1 when the record has
	// none; unknown JSON members then fail rather than being lost silently.
	extras int
	// keyPrefix[i] is the output text before field i's value: {"name": or
	// ,"name":, and keyQuote[i] the same with the opening quote of a string.
	keyPrefix, keyQuote []fragment
	// fixedOutput is the length of an output line without its values, for
	// sizing the batch arena.
	fixedOutput int
}

// fieldType is a schema.Type the transform can emit.
type fieldType uint8

const (
	stringField fieldType = iota
	doubleField
	timestampField
)

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
		p.checkString = append(p.checkString, f.CheckString)
		p.checkNumber = append(p.checkNumber, f.CheckNumber)
		p.minNum, p.maxNum = append(p.minNum, f.Min), append(p.maxNum, f.Max)
		switch f.Type {
		case schema.String:
			p.types = append(p.types, stringField)
		case schema.Double:
			p.types = append(p.types, doubleField)
		case schema.Timestamp:
			p.types = append(p.types, timestampField)
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
		p.keyPrefix = append(p.keyPrefix, newFragment(prefix))
		p.keyQuote = append(p.keyQuote, newFragment(append(prefix, '"')))
		p.fixedOutput += len(prefix)
	}
	if p.timeField < 0 {
		return nil, fmt.Errorf("plan %s: no timestamp field to partition by", r.Name)
	}
	p.fixedOutput += len("}\n")
	return p, nil
}

// fragment is a short constant piece of output. appendTo copies it with
// three word stores instead of a call to memmove, which for the dozen bytes
// of a key costs more than the copy itself.
type fragment struct {
	words [3]uint64 // the bytes, little endian, zero-padded
	bytes []byte
	long  bool // more bytes than words hold
}

const fragmentWords = 3 * 8

func newFragment(b []byte) fragment {
	f := fragment{bytes: b, long: len(b) > fragmentWords}
	var padded [fragmentWords]byte
	copy(padded[:], b)
	for k := range f.words {
		f.words[k] = binary.LittleEndian.Uint64(padded[8*k:])
	}
	return f
}

// appendTo appends f to dst. It writes all the words past the end of dst,
// within its capacity, then extends dst by f's length: what lies beyond the
// length is free space that later appends overwrite. It is small enough to
// be inlined, which is most of the gain.
func (f *fragment) appendTo(dst []byte) []byte {
	n := len(dst)
	if f.long || cap(dst)-n < fragmentWords {
		return append(dst, f.bytes...)
	}
	b := dst[n : n+fragmentWords]
	binary.LittleEndian.PutUint64(b[0:8], f.words[0])
	binary.LittleEndian.PutUint64(b[8:16], f.words[1])
	binary.LittleEndian.PutUint64(b[16:24], f.words[2])
	return dst[:n+len(f.bytes)]
}
