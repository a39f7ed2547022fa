package payload

import "fmt"

// schemaFromObject reads the object form of a field_schema, accepting for
// each type only the parameters Qdrant defines for it.
func schemaFromObject(o *object) (FieldSchema, error) {
	t, err := o.str("type")
	if err != nil {
		return FieldSchema{}, err
	}
	if t == nil {
		return FieldSchema{}, fmt.Errorf("%s: missing", o.sub("type"))
	}
	s := FieldSchema{Type: FieldType(*t), Object: true}
	common := []string{"type", "on_disk", "memory", "enable_hnsw"}
	var allowed []string
	switch s.Type {
	case TypeKeyword:
		allowed = append(common, "is_tenant", "prefix")
	case TypeUUID:
		allowed = append(common, "is_tenant")
	case TypeInteger:
		allowed = append(common, "lookup", "range", "is_principal")
	case TypeFloat, TypeDatetime:
		allowed = append(common, "is_principal")
	case TypeBool, TypeGeo:
		allowed = common
	case TypeText:
		allowed = append(common, "tokenizer", "min_token_len", "max_token_len", "lowercase",
			"ascii_folding", "phrase_matching", "stopwords", "stemmer")
	default:
		return FieldSchema{}, fmt.Errorf("%s: unknown type %q", o.sub("type"), *t)
	}
	if err := o.only(allowed...); err != nil {
		return FieldSchema{}, err
	}
	if err := readCommonParams(o, &s); err != nil {
		return FieldSchema{}, err
	}
	if s.Type == TypeText {
		if s.Text, err = readTextParams(o); err != nil {
			return FieldSchema{}, err
		}
	}
	return s, s.Validate()
}

func readCommonParams(o *object, s *FieldSchema) error {
	var err error
	bools := []struct {
		k   string
		dst **bool
	}{{"on_disk", &s.OnDisk}, {"enable_hnsw", &s.EnableHNSW}, {"is_tenant", &s.IsTenant},
		{"prefix", &s.Prefix}, {"lookup", &s.Lookup}, {"range", &s.RangeIdx}, {"is_principal", &s.IsPrincipal}}
	for _, b := range bools {
		if *b.dst, err = o.boolean(b.k); err != nil {
			return err
		}
	}
	s.Memory, err = o.str("memory")
	return err
}

func readTextParams(o *object) (*TextParams, error) {
	p := &TextParams{}
	tok, err := o.str("tokenizer")
	if err != nil {
		return nil, err
	}
	if tok != nil {
		p.Tokenizer = *tok
	}
	for _, f := range []struct {
		k   string
		dst **int
	}{{"min_token_len", &p.MinTokenLen}, {"max_token_len", &p.MaxTokenLen}} {
		v, err := o.uint(f.k, 1<<20)
		if err != nil {
			return nil, err
		}
		if v != nil {
			n := int(*v)
			*f.dst = &n
		}
	}
	if p.Lowercase, err = o.boolean("lowercase"); err != nil {
		return nil, err
	}
	if p.PhraseMatching, err = o.boolean("phrase_matching"); err != nil {
		return nil, err
	}
	if af, err := o.boolean("ascii_folding"); err != nil {
		return nil, err
	} else if af != nil && *af {
		return nil, fmt.Errorf("%s: not supported by Cairn", o.sub("ascii_folding"))
	}
	if o.has("stemmer") {
		return nil, fmt.Errorf("%s: not supported by Cairn", o.sub("stemmer"))
	}
	if o.has("stopwords") {
		if p.Stopwords, err = readStopwords(o); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// readStopwords accepts {"custom": [...]} (and an empty language list);
// predefined language lists are not supported.
func readStopwords(o *object) ([]string, error) {
	in, err := decodeObject(o.fields["stopwords"], o.sub("stopwords"))
	if err != nil {
		return nil, fmt.Errorf("%s: only {\"custom\": [...]} stop words are supported", o.sub("stopwords"))
	}
	if err := in.only("custom", "languages"); err != nil {
		return nil, err
	}
	if in.has("languages") {
		langs, err := array(in.fields["languages"], in.sub("languages"))
		if err != nil {
			return nil, err
		}
		if len(langs) > 0 {
			return nil, fmt.Errorf("%s: predefined stop word lists are not supported by Cairn", in.sub("languages"))
		}
	}
	out := []string{}
	if in.has("custom") {
		elems, err := array(in.fields["custom"], in.sub("custom"))
		if err != nil {
			return nil, err
		}
		for i := range elems {
			e, err := (&object{path: in.sub("custom"), fields: map[string]jsonRaw{fmt.Sprint(i): elems[i]}}).str(fmt.Sprint(i))
			if err != nil || e == nil {
				return nil, fmt.Errorf("%s[%d]: expected a string", in.sub("custom"), i)
			}
			out = append(out, *e)
		}
	}
	return out, nil
}
