package httpapi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The shipping contact rules read what users type: they never panic, what they accept
// is normalised once and for all (accepted again unchanged), and an accepted phone is
// an 11-digit mobile number or, in a profile, empty.
func FuzzNormaliseMailing(f *testing.F) {
	for _, s := range [][3]string{
		{"张三", "广东省深圳市南山区科技园路1号", "+86 138-1234-5678"},
		{"", "", ""},
		{" 李四 ", "北京市朝阳区建国路88号", "0086 13900001111"},
		{"x", "short", "12345"},
		{strings.Repeat("名", 33), "\xff\xfe", "1380000000a"},
	} {
		f.Add(s[0], s[1], s[2], true)
		f.Add(s[0], s[1], s[2], false)
	}
	f.Fuzz(func(t *testing.T, name, address, phone string, partial bool) {
		m := mailingJSON{Name: name, Address: address, Phone: phone}
		if normaliseMailing(&m, partial) != "" {
			return
		}
		again := m
		if msg := normaliseMailing(&again, partial); msg != "" || again != m {
			t.Fatalf("%+v normalised to %+v, then %+v (%s)", mailingJSON{name, address, phone}, m, again, msg)
		}
		if n := utf8.RuneCountInString(m.Name); n > 32 || (!partial && n == 0) {
			t.Fatalf("name %q accepted", m.Name)
		}
		if !oneLineText(m.Name) || !oneLineText(m.Address) {
			t.Fatalf("control character or bad UTF-8 accepted: %q, %q", m.Name, m.Address)
		}
		if !(partial && m.Phone == "") && (len(m.Phone) != 11 || m.Phone[0] != '1' || strings.Trim(m.Phone, "0123456789") != "") {
			t.Fatalf("phone %q accepted", m.Phone)
		}
	})
}

// A recipient is printed whole on the operator's terminal (idphoto orders list): an
// escape sequence, a line break or bad UTF-8 in a name or address is refused, in a
// print order, its correction and a profile alike.
func TestNormaliseMailingRefusesControlCharacters(t *testing.T) {
	for _, c := range []mailingJSON{
		{Name: "张三\x1b]0;pwned\x07", Address: "广东省深圳市南山区科技园路1号", Phone: "13812345678"},
		{Name: "张三", Address: "广东省深圳市\n南山区科技园路1号", Phone: "13812345678"},
		{Name: "张三", Address: "广东省深圳市\u009b31m南山区", Phone: "13812345678"},
		{Name: "张三\xff\xfe", Address: "广东省深圳市南山区科技园路1号", Phone: "13812345678"},
	} {
		for _, partial := range []bool{false, true} {
			m := c
			if msg := normaliseMailing(&m, partial); msg == "" {
				t.Errorf("%+v (partial %v) accepted", c, partial)
			}
		}
	}
	m := mailingJSON{Name: "张三", Address: "广东省深圳市南山区科技园路1号", Phone: "13812345678"}
	if msg := normaliseMailing(&m, false); msg != "" {
		t.Fatalf("a plain recipient refused: %s", msg)
	}
}

func TestCheckProfile(t *testing.T) {
	p := profileJSON{DisplayName: "  小张 ", Shipping: mailingJSON{Phone: "+86 139 0000 1111"}}
	if err := checkProfile(&p); err != nil || p.DisplayName != "小张" || p.Shipping.Phone != "13900001111" {
		t.Fatalf("%+v, %v", p, err)
	}
	for _, bad := range []profileJSON{
		{DisplayName: strings.Repeat("a", 33)},
		{DisplayName: "tab\there"},
		{Shipping: mailingJSON{Address: "短"}},
		{Shipping: mailingJSON{Phone: "555"}},
	} {
		if err := checkProfile(&bad); err == nil || err.(*apiError).Code != CodeBadProfile {
			t.Errorf("%+v: %v, want %s", bad, err, CodeBadProfile)
		}
	}
}
