package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/coditect/phasegen/internal/parallel"
)

// MaxFileSize is the largest config file phasegen reads.
const MaxFileSize = 1 << 20

// Set is a loaded, validated configuration.
type Set struct {
	Dir          string
	Phases       []*Phase       // by spec.order
	Environments []*Environment // by name
	Capacity     *CapacityModel
}

// Phase returns the phase called name.
func (s *Set) Phase(name string) (*Phase, bool) {
	for _, p := range s.Phases {
		if p.Metadata.Name == name {
			return p, true
		}
	}
	return nil, false
}

// Environment returns the environment called name.
func (s *Set) Environment(name string) (*Environment, bool) {
	for _, e := range s.Environments {
		if e.Metadata.Name == name {
			return e, true
		}
	}
	return nil, false
}

// Next returns the phase that follows p in promotion order.
func (s *Set) Next(p *Phase) (*Phase, bool) {
	for _, q := range s.Phases {
		if q.Spec.Order > p.Spec.Order {
			return q, true
		}
	}
	return nil, false
}

// PhaseNames returns the phase names in promotion order.
func (s *Set) PhaseNames() []string {
	out := make([]string, len(s.Phases))
	for i, p := range s.Phases {
		out[i] = p.Metadata.Name
	}
	return out
}

// EnvironmentNames returns the environment names in order.
func (s *Set) EnvironmentNames() []string {
	out := make([]string, len(s.Environments))
	for i, e := range s.Environments {
		out[i] = e.Metadata.Name
	}
	return out
}

// Load reads and validates the configuration under dir: dir/capacity.yaml
// (a CapacityModel), dir/<env>.yaml (Environments) and dir/phases/<phase>.yaml
// (Phases). It returns Problems listing everything wrong at once.
func Load(dir string) (*Set, error) {
	return assemble(layout{
		dir: dir, join: filepath.Join, list: yamlFiles, load: loadFile,
		exists: func(f string) bool { _, err := os.Lstat(f); return err == nil },
	})
}

// layout is where a configuration is read from: the directory, how its
// paths join, how its YAML files are listed, whether a file is there and how
// one file is loaded. Load reads the disk, LoadFSFrom an fs.FS.
type layout struct {
	dir    string
	join   func(elem ...string) string
	list   func(dir string) ([]string, error)
	exists func(file string) bool
	load   func(file, want string) (any, Problems)
}

// assemble reads a configuration laid out as l: the environments (on every
// core), the phases, the capacity model, then the checks across files. It
// returns Problems listing everything wrong at once.
func assemble(l layout) (*Set, error) {
	set := &Set{Dir: l.dir}
	var problems Problems
	envFiles, err := l.list(l.dir)
	if err != nil {
		return nil, fmt.Errorf("reading config directory: %w", err)
	}
	phaseFiles, err := l.list(l.join(l.dir, "phases"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading phases: %w", err)
	}
	capFile := l.join(l.dir, "capacity.yaml")
	envFiles = slices.DeleteFunc(envFiles, func(f string) bool { return f == capFile })
	envs := make([]loaded, len(envFiles))
	// Each file's problems are collected per file, so no load fails the
	// batch: parallel.Do can return no error here.
	if err := parallel.Do(len(envFiles), func(i int) error {
		envs[i].doc, envs[i].problems = l.load(envFiles[i], KindEnvironment)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("loading environments: %w", err)
	}
	for _, r := range envs {
		problems = append(problems, r.problems...)
		if e, ok := r.doc.(*Environment); ok {
			set.Environments = append(set.Environments, e)
		}
	}
	for _, f := range phaseFiles {
		doc, ps := l.load(f, KindPhase)
		problems = append(problems, ps...)
		if p, ok := doc.(*Phase); ok {
			set.Phases = append(set.Phases, p)
		}
	}
	var extendsProblems Problems
	set.Phases, extendsProblems = resolveExtends(set.Phases)
	problems = append(problems, extendsProblems...)
	if !l.exists(capFile) {
		problems = append(problems, Problem{File: capFile, Msg: "missing: a CapacityModel is required"})
	} else {
		doc, ps := l.load(capFile, KindCapacityModel)
		problems = append(problems, ps...)
		if c, ok := doc.(*CapacityModel); ok {
			set.Capacity = c
		}
	}
	if len(set.Phases) == 0 && len(phaseFiles) == 0 {
		problems = append(problems, Problem{File: l.join(l.dir, "phases"), Msg: "no Phase files found"})
	}
	problems = append(problems, set.crossCheck()...)
	if err := problems.err(); err != nil {
		return nil, err
	}
	for _, e := range set.Environments {
		e.App = set.Capacity.Metadata.Name
	}
	sort.SliceStable(set.Phases, func(i, j int) bool { return set.Phases[i].Spec.Order < set.Phases[j].Spec.Order })
	sort.Slice(set.Environments, func(i, j int) bool {
		return set.Environments[i].Metadata.Name < set.Environments[j].Metadata.Name
	})
	return set, nil
}

// yamlFiles lists dir's *.yaml and *.yml files, sorted.
func yamlFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	return yamlNames(entries, func(n string) string { return filepath.Join(dir, n) }), nil
}

// yamlNames are the *.yaml and *.yml files among entries (not directories,
// not hidden), as join makes their paths, sorted.
func yamlNames(entries []fs.DirEntry, join func(name string) string) []string {
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") {
			out = append(out, join(n))
		}
	}
	sort.Strings(out)
	return out
}

// loaded is what loadFile returned for one file.
type loaded struct {
	doc      any
	problems Problems
}

// loadFile reads one file, refusing links that leave its directory.
func loadFile(file, want string) (any, Problems) {
	fi, err := os.Lstat(file)
	if err != nil {
		return nil, Problems{{File: file, Msg: err.Error()}}
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		if msg := checkLink(file); msg != "" {
			return nil, Problems{{File: file, Msg: msg}}
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, Problems{{File: file, Msg: err.Error()}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Problems{{File: file, Msg: err.Error()}}
	}
	return Parse(file, data, want)
}

func checkLink(file string) string {
	target, err := filepath.EvalSymlinks(file)
	if err != nil {
		return "broken symbolic link"
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(file))
	if err != nil {
		return "cannot resolve directory"
	}
	if rel, err := filepath.Rel(dir, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "symbolic link points outside the config directory"
	}
	return ""
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse decodes and validates one document of kind want ("" accepts any kind)
// read from file. It returns a *Phase, *Environment or *CapacityModel.
func Parse(file string, data []byte, want string) (any, Problems) {
	if len(data) > MaxFileSize {
		return nil, Problems{{File: file, Msg: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, Problems{{File: file, Msg: "not a text file (NUL bytes or invalid UTF-8)"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Problems{{File: file, Msg: "empty file: want a " + wantName(want) + " document"}}
		}
		return nil, Problems{yamlProblem(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Problems{{File: file, Line: extra.Line, Msg: "more than one YAML document: put each in a file of its own"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, Problems{yamlProblem(file, err)}
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, Problems{{File: file, Line: root.Line, Msg: "must be a mapping with apiVersion, kind, metadata and spec"}}
	}
	top := root.Content[0]
	if n, field := findAlias(top); n != nil {
		return nil, Problems{{File: file, Line: n.Line, Field: field, Msg: "YAML anchors and aliases are not allowed"}}
	}
	kind := scalarField(top, "kind")
	if kind == nil {
		return nil, Problems{{File: file, Line: top.Line, Field: "kind", Msg: "missing: want " + wantName(want)}}
	}
	if want != "" && kind.Value != want {
		return nil, Problems{{File: file, Line: kind.Line, Field: "kind", Msg: fmt.Sprintf("is %q, want %s in this place", kind.Value, want)}}
	}
	return decodeDoc(file, data, top, kind, false)
}

// decodeDoc decodes and validates the document top of file (read as data)
// of kind. A Phase that extends another is decoded, not validated, unless
// merged says top holds its parent's sizing already: it is complete only
// once resolveExtends merged it in.
func decodeDoc(file string, data []byte, top, kind *yaml.Node, merged bool) (any, Problems) {
	d := &decoder{file: file, lines: map[string]int{}}
	var doc any
	switch kind.Value {
	case KindPhase:
		p := &Phase{node: top}
		d.decode(top, reflectValue(p), "")
		p.Source = Source{File: file, lines: d.lines, Raw: data}
		if ext := extendsOf(top); ext != "" && !merged {
			// Its own fields alone need not decode (a null removes what
			// the parent sets): the merged document is checked whole.
			return &Phase{node: top, Metadata: Metadata{Name: nameOf(top)}, Spec: PhaseSpec{Extends: ext}, Source: p.Source}, nil
		}
		doc = p
	case KindEnvironment:
		e := &Environment{}
		d.decode(top, reflectValue(e), "")
		e.Source = Source{File: file, lines: d.lines, Raw: data}
		doc = e
	case KindCapacityModel:
		c := &CapacityModel{}
		d.decode(top, reflectValue(c), "")
		c.Source = Source{File: file, lines: d.lines, Raw: data}
		doc = c
	default:
		return nil, Problems{{File: file, Line: kind.Line, Field: "kind", Msg: fmt.Sprintf("unknown kind %q (want Phase, Environment or CapacityModel)", kind.Value)}}
	}
	if len(d.problems) > 0 {
		return nil, d.problems
	}
	ps := validate(doc)
	if len(ps) > 0 {
		return nil, ps
	}
	return doc, nil
}

func wantName(want string) string {
	if want == "" {
		return "Phase, Environment or CapacityModel"
	}
	return want
}

func yamlProblem(file string, err error) Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return Problem{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

func scalarField(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1]
		}
	}
	return nil
}

// findAlias returns the first node, in document order, that is an alias or
// carries an anchor, with its field path, so that alias bombs are refused
// before anything is decoded. It walks without recursion.
func findAlias(root *yaml.Node) (*yaml.Node, string) {
	type item struct {
		n    *yaml.Node
		path string
	}
	stack := []item{{root, ""}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.n
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			return n, it.path
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := len(n.Content) - 2; i >= 0; i -= 2 {
				stack = append(stack, item{n.Content[i+1], join(it.path, n.Content[i].Value)}, item{n.Content[i], it.path})
			}
		case yaml.SequenceNode:
			for i := len(n.Content) - 1; i >= 0; i-- {
				stack = append(stack, item{n.Content[i], fmt.Sprintf("%s[%d]", it.path, i)})
			}
		}
	}
	return nil, ""
}
