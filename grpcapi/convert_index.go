package grpcapi

import (
	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/payload"
)

// fieldSchemaFromProto converts a field index's type and parameters to
// the schema REST's field_schema decodes to: the bare type without
// parameters, the object form with them. The engine validates it.
func fieldSchemaFromProto(t *qdrant.FieldType, params *qdrant.PayloadIndexParams) (payload.FieldSchema, error) {
	if t == nil {
		return payload.FieldSchema{}, invalidArg("field_type: missing field: Cairn cannot infer the type of an index")
	}
	typ, ok := fieldTypes[*t]
	if !ok {
		return payload.FieldSchema{}, invalidArg("field_type: unknown variant `%d`", *t)
	}
	s := payload.FieldSchema{Type: typ}
	if params == nil || params.GetIndexParams() == nil {
		return s, nil
	}
	s.Object = true
	if err := indexParams(&s, params); err != nil {
		return s, err
	}
	return s, nil
}

// fieldTypes is the index type each proto field type asks for.
var fieldTypes = map[qdrant.FieldType]payload.FieldType{
	qdrant.FieldType_FieldTypeKeyword:  payload.TypeKeyword,
	qdrant.FieldType_FieldTypeInteger:  payload.TypeInteger,
	qdrant.FieldType_FieldTypeFloat:    payload.TypeFloat,
	qdrant.FieldType_FieldTypeGeo:      payload.TypeGeo,
	qdrant.FieldType_FieldTypeText:     payload.TypeText,
	qdrant.FieldType_FieldTypeBool:     payload.TypeBool,
	qdrant.FieldType_FieldTypeDatetime: payload.TypeDatetime,
	qdrant.FieldType_FieldTypeUuid:     payload.TypeUUID,
}

// indexParams copies the parameters of params into s; their kind must
// be s's type.
func indexParams(s *payload.FieldSchema, params *qdrant.PayloadIndexParams) error {
	var kind payload.FieldType
	switch p := params.GetIndexParams().(type) {
	case *qdrant.PayloadIndexParams_KeywordIndexParams:
		kind, s.IsTenant, s.OnDisk, s.EnableHNSW = payload.TypeKeyword, p.KeywordIndexParams.IsTenant, p.KeywordIndexParams.OnDisk, p.KeywordIndexParams.EnableHnsw
	case *qdrant.PayloadIndexParams_UuidIndexParams:
		kind, s.IsTenant, s.OnDisk, s.EnableHNSW = payload.TypeUUID, p.UuidIndexParams.IsTenant, p.UuidIndexParams.OnDisk, p.UuidIndexParams.EnableHnsw
	case *qdrant.PayloadIndexParams_IntegerIndexParams:
		ip := p.IntegerIndexParams
		kind, s.Lookup, s.RangeIdx, s.IsPrincipal, s.OnDisk, s.EnableHNSW = payload.TypeInteger, ip.Lookup, ip.Range, ip.IsPrincipal, ip.OnDisk, ip.EnableHnsw
	case *qdrant.PayloadIndexParams_FloatIndexParams:
		fp := p.FloatIndexParams
		kind, s.IsPrincipal, s.OnDisk, s.EnableHNSW = payload.TypeFloat, fp.IsPrincipal, fp.OnDisk, fp.EnableHnsw
	case *qdrant.PayloadIndexParams_DatetimeIndexParams:
		dp := p.DatetimeIndexParams
		kind, s.IsPrincipal, s.OnDisk, s.EnableHNSW = payload.TypeDatetime, dp.IsPrincipal, dp.OnDisk, dp.EnableHnsw
	case *qdrant.PayloadIndexParams_GeoIndexParams:
		kind, s.OnDisk, s.EnableHNSW = payload.TypeGeo, p.GeoIndexParams.OnDisk, p.GeoIndexParams.EnableHnsw
	case *qdrant.PayloadIndexParams_BoolIndexParams:
		kind, s.OnDisk, s.EnableHNSW = payload.TypeBool, p.BoolIndexParams.OnDisk, p.BoolIndexParams.EnableHnsw
	case *qdrant.PayloadIndexParams_TextIndexParams:
		kind = payload.TypeText
		tp, err := textParams(p.TextIndexParams)
		if err != nil {
			return err
		}
		s.Text, s.OnDisk, s.EnableHNSW = tp, p.TextIndexParams.OnDisk, p.TextIndexParams.EnableHnsw
	}
	if kind != s.Type {
		return invalidArg("field_index_params: %s parameters for a %s index", kind, s.Type)
	}
	return nil
}

// textParams converts a text index's parameters; stemming, ASCII folding
// and predefined stop word languages are Unimplemented, as REST refuses
// them.
func textParams(tp *qdrant.TextIndexParams) (*payload.TextParams, error) {
	out := &payload.TextParams{Lowercase: tp.Lowercase, PhraseMatching: tp.PhraseMatching}
	switch tp.GetTokenizer() {
	case qdrant.TokenizerType_Unknown, qdrant.TokenizerType_Word:
		out.Tokenizer = "word"
	case qdrant.TokenizerType_Whitespace:
		out.Tokenizer = "whitespace"
	case qdrant.TokenizerType_Prefix:
		out.Tokenizer = "prefix"
	case qdrant.TokenizerType_Multilingual:
		out.Tokenizer = "multilingual"
	default:
		return nil, invalidArg("field_index_params.tokenizer: unknown variant `%d`", tp.GetTokenizer())
	}
	if tp.MinTokenLen != nil {
		n := uintToInt(*tp.MinTokenLen)
		out.MinTokenLen = &n
	}
	if tp.MaxTokenLen != nil {
		n := uintToInt(*tp.MaxTokenLen)
		out.MaxTokenLen = &n
	}
	if tp.Stemmer != nil {
		return nil, unimplemented("stemming in text indexes")
	}
	if tp.AsciiFolding != nil && *tp.AsciiFolding {
		return nil, unimplemented("ascii_folding in text indexes")
	}
	if sw := tp.GetStopwords(); sw != nil {
		if len(sw.GetLanguages()) > 0 {
			return nil, unimplemented("predefined stop word languages")
		}
		out.Stopwords = sw.GetCustom()
	}
	return out, nil
}
