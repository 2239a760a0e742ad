package blob

import (
	"errors"
	"fmt"
	"strings"

	"github.com/idphoto/idphoto/internal/blob/sigv4"
)

// ParseS3Credentials reads a credentials file: lines of "name = value", blank lines
// and lines starting with '#' or ';' skipped. The names are access_key, secret_key
// and session_token, or the aws_access_key_id, aws_secret_access_key and
// aws_session_token of an AWS credentials file, of which only the [default] section
// (or lines before any section) is read. Errors name the line, never its value.
func ParseS3Credentials(text string) (sigv4.Credentials, error) {
	var c sigv4.Credentials
	section := "default"
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return sigv4.Credentials{}, fmt.Errorf("blob: s3 credentials line %d: a section is [name]", i+1)
			}
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		if section != "default" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return sigv4.Credentials{}, fmt.Errorf("blob: s3 credentials line %d: want name = value", i+1)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		var field *string
		switch name {
		case "access_key", "aws_access_key_id":
			field = &c.AccessKey
		case "secret_key", "aws_secret_access_key":
			field = &c.SecretKey
		case "session_token", "aws_session_token":
			field = &c.SessionToken
		default:
			continue // region and the like belong to --blobs
		}
		if seen[name] || *field != "" {
			return sigv4.Credentials{}, fmt.Errorf("blob: s3 credentials line %d: %s given twice", i+1, name)
		}
		seen[name] = true
		if value == "" || strings.ContainsFunc(value, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
			return sigv4.Credentials{}, fmt.Errorf("blob: s3 credentials line %d: %s is empty or has spaces or control characters", i+1, name)
		}
		*field = value
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return sigv4.Credentials{}, errors.New("blob: s3 credentials: both an access key and a secret key are needed")
	}
	return c, nil
}
