package logjson

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendAttr appends a as `"key":value`, after a comma unless buf ends an opening
// brace. As slog's handlers do, it skips an empty attribute and a group with no
// attributes, and inlines a group with an empty key.
func appendAttr(buf []byte, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return buf
	}
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		if a.Key == "" {
			for _, g := range attrs {
				buf = appendAttr(buf, g)
			}
			return buf
		}
		mark := len(buf)
		buf = appendKey(buf, a.Key)
		buf = append(buf, '{')
		open := len(buf)
		for _, g := range attrs {
			buf = appendAttr(buf, g)
		}
		if len(buf) == open {
			return buf[:mark] // nothing in it: no group at all
		}
		return append(buf, '}')
	}
	buf = appendKey(buf, a.Key)
	return appendValue(buf, a.Value)
}

func appendKey(buf []byte, key string) []byte {
	if len(buf) > 0 && buf[len(buf)-1] != '{' {
		buf = append(buf, ',')
	}
	buf = appendString(buf, key)
	return append(buf, ':')
}

// appendValue appends v as slog.JSONHandler would write it: durations as integer
// nanoseconds, times in RFC 3339 with nanoseconds, errors as their message, and
// what has no fast path through encoding/json without HTML escaping.
func appendValue(buf []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(buf, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(buf, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(buf, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(buf, v.Bool())
	case slog.KindDuration:
		return strconv.AppendInt(buf, int64(v.Duration()), 10)
	case slog.KindTime:
		buf = append(buf, '"')
		buf = v.Time().AppendFormat(buf, time.RFC3339Nano)
		return append(buf, '"')
	case slog.KindFloat64:
		return appendMarshal(buf, v.Float64()) // encoding/json's float format, NaN refused
	}
	switch x := v.Any().(type) {
	case map[string]string:
		return appendStringMap(buf, x)
	case json.Marshaler:
		return appendMarshal(buf, x)
	case error:
		return appendString(buf, x.Error())
	default:
		return appendMarshal(buf, x)
	}
}

// appendStringMap writes m with its keys sorted, as encoding/json does.
func appendStringMap(buf []byte, m map[string]string) []byte {
	if m == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '{')
	var small [8]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = appendString(buf, m[k])
	}
	return append(buf, '}')
}

func appendMarshal(buf []byte, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return appendString(buf, "!ERROR:"+err.Error())
	}
	return append(buf, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 as U+FFFD, and U+2028 and U+2029 escaped so
// that a line is safe in JavaScript too (slog.JSONHandler's choices).
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	plain := 0 // s[plain:i] is yet to be copied
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[plain:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			plain = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(append(buf, s[plain:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(append(buf, s[plain:i]...), `\u202`...)
			buf = append(buf, hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		plain = i
	}
	buf = append(buf, s[plain:]...)
	return append(buf, '"')
}
