package results

import (
	"encoding"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/yardstick-dev/yardstick/bench"
)

//go:generate go run ../cmd/yardstick schema -o ../docs/schema/run.schema.json

// SchemaID is the $id of the run file's JSON Schema: a name, not a place to fetch it
// from (the schema is docs/schema/run.schema.json in the source tree and `yardstick
// schema` prints it).
const SchemaID = "https://github.com/yardstick-dev/yardstick/docs/schema/run.schema.json"

// runFile is the run file as written: a Run (WriteFile), or a merged run, which adds
// merged_from (WriteMerged).
type runFile struct {
	Run
	MergedFrom []MergeSource `json:"merged_from,omitempty"`
}

// RunSchema returns the JSON Schema (draft 2020-12) of the run file this build writes,
// indented, generated from the Go types by github.com/invopop/jsonschema: every field
// must have its type, no other property is allowed, and a pointer, slice or map
// written without omitempty may be null. Only schema_version, kind and a samples
// array are required (what ReadFile needs): files of earlier builds of the same
// schema_version lack the fields added since, and readers take a missing field as its
// zero value. Types with their own JSON encoding are described by what they write
// (bench.Think: a boolean or a level's name; bench.SLO: an array of objectives;
// bench.ErrorLimit: its flag text). JSON holds no NaN or infinity (encoding/json
// refuses them), so a figure that cannot be computed is absent, never a number.
//
// Errors: a type reachable from Run with a custom JSON encoding the generator does not
// know (add it to schemaMappers).
func RunSchema() ([]byte, error) {
	r := &jsonschema.Reflector{
		BaseSchemaID:   jsonschema.ID(SchemaID),
		Namer:          schemaName,
		Mapper:         schemaMapper,
		ExpandedStruct: true,
		// No field is required but those below: files of earlier builds of one
		// schema_version lack the fields added since, and still load.
		RequiredFromJSONSchemaTags: true,
	}
	t := reflect.TypeFor[runFile]()
	s := r.ReflectFromType(t)
	s.ID = jsonschema.ID(SchemaID)
	s.Title = "yardstick run file"
	s.Description = fmt.Sprintf("A yardstick run file (kind %q, schema_version %d) as this build writes it. "+
		"Units are in the field names: _ns integer nanoseconds, _per_s per second, _bytes bytes, _frac 0..1. "+
		"Generated from the Go types (results.Run); regenerate with `yardstick schema`.", Kind, SchemaVersion)
	// The root is the run file's own object: what DecodeRun needs is required, its
	// kind and version are fixed, its wall-clock times RFC 3339.
	s.Required = []string{"schema_version", "kind", "samples"}
	if p, ok := s.Properties.Get("kind"); ok {
		p.Const = Kind
	}
	if p, ok := s.Properties.Get("schema_version"); ok {
		p.Minimum, p.Maximum = json.Number("1"), json.Number(fmt.Sprint(SchemaVersion))
	}
	for _, name := range []string{"started_at", "ended_at"} {
		if p, ok := s.Properties.Get(name); ok {
			p.Format = "date-time"
		}
	}
	s.Definitions[schemaName(t)] = s // markNullable finds the root as the others
	err := markNullable(s.Definitions, t, map[reflect.Type]bool{})
	delete(s.Definitions, schemaName(t))
	if err != nil {
		return nil, err
	}
	if p, ok := s.Properties.Get("samples"); ok && len(p.AnyOf) == 2 {
		s.Properties.Set("samples", p.AnyOf[0]) // null samples is refused (DecodeRun)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the run file schema: %w", err)
	}
	return append(b, '\n'), nil
}

// schemaName names a definition by its package and type ("bench.Sample",
// "results.Memory"), so two packages' types of one name do not collide.
func schemaName(t reflect.Type) string {
	if t.Name() == "" || t.PkgPath() == "" {
		return ""
	}
	if t == reflect.TypeFor[runFile]() {
		return "RunFile"
	}
	return path.Base(t.PkgPath()) + "." + t.Name()
}

// schemaMappers describe the types reachable from Run that write JSON of their own
// (a MarshalJSON or MarshalText method), by what they write.
var schemaMappers = map[reflect.Type]func() *jsonschema.Schema{
	// bench.Think.MarshalJSON: off and on as booleans, a level as its name.
	reflect.TypeFor[bench.Think](): func() *jsonschema.Schema {
		return &jsonschema.Schema{
			AnyOf: []*jsonschema.Schema{{Type: "boolean"},
				{Type: "string", Enum: []any{string(bench.ThinkLow), string(bench.ThinkMedium), string(bench.ThinkHigh)}}},
		}
	},
	// bench.SLO.MarshalJSON: the objectives as an array ([] for none).
	reflect.TypeFor[bench.SLO](): func() *jsonschema.Schema {
		r := &jsonschema.Reflector{DoNotReference: true, Anonymous: true}
		obj := r.ReflectFromType(reflect.TypeFor[bench.Objective]())
		obj.Version, obj.ID = "", ""
		return &jsonschema.Schema{Type: "array", Items: obj}
	},
	// bench.ErrorLimit.MarshalText: the --max-errors value, a count or a percentage.
	reflect.TypeFor[bench.ErrorLimit](): func() *jsonschema.Schema {
		return &jsonschema.Schema{Type: "string", Pattern: `^([0-9]+|[0-9.eE+-]+%)?$`}
	},
}

// schemaMapper is the Reflector's Mapper: schemaMappers' schema for their types, nil
// (reflect the type) for the others.
func schemaMapper(t reflect.Type) *jsonschema.Schema {
	if f, ok := schemaMappers[t]; ok {
		return f()
	}
	return nil
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// customEncoding reports whether t (or *t) writes JSON of its own.
func customEncoding(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshaler) || t.Implements(textMarshaler) || p.Implements(jsonMarshaler) || p.Implements(textMarshaler)
}

// markNullable walks the struct types reachable from t (the definitions the Reflector
// made of them, by schemaName) and lets a property be null where encoding/json writes
// null: a nil pointer, slice or map in a field without omitempty or omitzero. It also
// refuses a reachable type with a custom encoding that schemaMappers does not describe.
func markNullable(defs jsonschema.Definitions, t reflect.Type, seen map[reflect.Type]bool) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if seen[t] {
		return nil
	}
	seen[t] = true
	if _, ok := schemaMappers[t]; ok || t == reflect.TypeFor[time.Time]() {
		return nil
	}
	if customEncoding(t) {
		return fmt.Errorf("run file schema: %s has its own JSON encoding; describe it in results.schemaMappers", t)
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	def := defs[schemaName(t)]
	if def == nil && t.Name() != "" {
		return fmt.Errorf("run file schema: no definition for %s", t)
	}
	return eachJSONField(t, func(name string, f reflect.StructField, omit bool) error {
		k := f.Type.Kind()
		if !omit && (k == reflect.Pointer || k == reflect.Slice || k == reflect.Map) && !customEncoding(f.Type) {
			if p, ok := def.Properties.Get(name); ok {
				def.Properties.Set(name, &jsonschema.Schema{AnyOf: []*jsonschema.Schema{p, {Type: "null"}}})
			}
		}
		return markNullable(defs, f.Type, seen)
	})
}

// eachJSONField calls fn with each field encoding/json writes for struct type t, with
// its name and whether it has omitempty or omitzero; the fields of an embedded struct
// without a tag name are t's own, as encoding/json has them.
func eachJSONField(t reflect.Type, fn func(name string, f reflect.StructField, omit bool) error) error {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if err := eachJSONField(et, fn); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		o := strings.Split(opts, ",")
		if err := fn(name, f, slices.Contains(o, "omitempty") || slices.Contains(o, "omitzero")); err != nil {
			return err
		}
	}
	return nil
}
